"""The gateway's worker advances a clinic's access generation once per event that can change a
decision there (both backends): the web processes then forget the decisions they remember for
that clinic. A capability's clearance is about every clinic at once."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from clinic_contracts import Envelope
from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    PermissionGrant,
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
)
from clinic_contracts.export import example_path
from clinic_runtime.db import make_engine, make_session_factory, transaction
from clinic_runtime.messaging.consumers import apply_delivered
from clinic_runtime.migrations import upgrade
from gateway.adapters.access_tables import SqlAccessGenerations
from gateway.entrypoints.consumers import CLINIC_ACCESS_CHANGES, PATIENT_CHANGES, handlers
from gateway.entrypoints.migrate import MIGRATIONS

pytestmark = pytest.mark.integration

CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
OTHER_CLINIC = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7b70")
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
PRINCIPAL = uuid.uuid4()

EVENTS = {
    "role-upserted": lambda clinic: RoleUpsertedV1(
        clinic_id=clinic, role_key="front-desk", name="Front desk", version=1, updated_at=NOW,
        grants=[PermissionGrant(permission="accounts.read", scope="any")]),
    "role-archived": lambda clinic: RoleArchivedV1(clinic_id=clinic, role_key="front-desk", version=2,
                                                   archived_at=NOW),
    "assignment-granted": lambda clinic: RoleAssignmentGrantedV1(
        clinic_id=clinic, principal_id=PRINCIPAL, role_key="receptionist", granted_by=None, granted_at=NOW),
    "assignment-revoked": lambda clinic: RoleAssignmentRevokedV1(
        clinic_id=clinic, principal_id=PRINCIPAL, role_key="receptionist", revoked_by=None, revoked_at=NOW),
}


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(MIGRATIONS, database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def envelope(kind: str, clinic: uuid.UUID = CLINIC) -> Envelope:
    event = EVENTS[kind](clinic)
    return Envelope.wrap(event, clinic_id=clinic, correlation_id="roles")


def generation(sessions, clinic: uuid.UUID = CLINIC) -> int:
    with transaction(sessions) as session:
        return SqlAccessGenerations(session).current(clinic)


def example(event_type: str, clinic: uuid.UUID | None) -> Envelope:
    """The contract's golden example, moved to `clinic` (a fresh event each time)."""
    document = json.loads(example_path(event_type).read_text())
    document["id"] = str(uuid.uuid4())
    if clinic is not None:
        document["clinicid"] = document["data"]["clinic_id"] = str(clinic)
    return Envelope.model_validate(document)


def test_the_gateway_consumes_every_event_that_can_change_a_decision_in_its_own_group():
    assert handlers.group == "gateway"
    assert set(handlers.event_types) == {model.event_type for model in CLINIC_ACCESS_CHANGES + PATIENT_CHANGES} | {
        CapabilityClearanceChangedV1.event_type}
    assert {RoleUpsertedV1, RoleArchivedV1, RoleAssignmentGrantedV1, RoleAssignmentRevokedV1} <= set(
        CLINIC_ACCESS_CHANGES)


@pytest.mark.parametrize("event_type", [model.event_type for model in CLINIC_ACCESS_CHANGES])
def test_each_tier_enrollment_subscription_capability_and_patient_event_advances_its_clinic(sessions, event_type):
    assert apply_delivered(handlers, sessions, example(event_type, CLINIC)) is True

    assert (generation(sessions), generation(sessions, OTHER_CLINIC)) == (1, 0)


@pytest.mark.parametrize("event_type", [model.event_type for model in PATIENT_CHANGES])
def test_a_patient_with_a_login_advances_the_generation_and_a_guest_changes_nothing(sessions, event_type):
    with_login = example(event_type, CLINIC)
    with_login = with_login.model_copy(update={"data": {**with_login.data, "account_id": str(uuid.uuid4())}})
    guest = example(event_type, CLINIC)

    apply_delivered(handlers, sessions, guest)
    assert generation(sessions) == 0

    apply_delivered(handlers, sessions, with_login)
    assert generation(sessions) == 1


def test_a_change_of_clearance_advances_every_clinics_generation(sessions):
    apply_delivered(handlers, sessions, envelope("assignment-granted"))

    apply_delivered(handlers, sessions, example(CapabilityClearanceChangedV1.event_type, None))

    assert (generation(sessions), generation(sessions, OTHER_CLINIC)) == (2, 1)


def test_a_clinic_whose_roles_never_changed_is_at_generation_zero(sessions):
    assert generation(sessions) == 0


@pytest.mark.parametrize("kind", list(EVENTS))
def test_each_role_event_advances_its_clinics_generation(sessions, kind):
    assert apply_delivered(handlers, sessions, envelope(kind)) is True

    assert generation(sessions) == 1


def test_every_event_advances_it_again(sessions):
    for kind in EVENTS:
        apply_delivered(handlers, sessions, envelope(kind))

    assert generation(sessions) == len(EVENTS)


def test_a_redelivered_event_advances_it_once(sessions):
    granted = envelope("assignment-granted")
    apply_delivered(handlers, sessions, granted)

    assert apply_delivered(handlers, sessions, granted) is False

    assert generation(sessions) == 1


def test_another_clinics_events_leave_this_clinics_generation_alone(sessions):
    apply_delivered(handlers, sessions, envelope("assignment-revoked", OTHER_CLINIC))

    assert (generation(sessions), generation(sessions, OTHER_CLINIC)) == (0, 1)
