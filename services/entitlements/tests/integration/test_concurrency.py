"""Concurrent writers on PostgreSQL: the database, not luck, keeps assignments and events single."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy.orm import Session

from clinic_runtime.db import utcnow
from clinic_runtime.refusals import Conflict
from entitlements.domain.plans import Money, Period, PlanKind, Terms
from entitlements.domain.usage import LimitReached
from entitlements.service_layer import plans, subscriptions
from entitlements.service_layer.commercial_unit_of_work import SqlCommercialUnitOfWork
from entitlements.service_layer.roles import (
    RoleInUse,
    RoleNotAssignable,
    archive_role,
    create_role,
    grant_role,
    revoke_role,
)
from entitlements.service_layer.unit_of_work import SqlUnitOfWork
from entitlements.service_layer.usage import admit_staff_role, usage_of
from entitlements.service_layer.usage_unit_of_work import SqlUsageUnitOfWork

pytestmark = pytest.mark.integration

PRINCIPAL = uuid.UUID("0193a5e0-0000-7000-8000-0000000000a1")
GRANTS = [("reports.read", "any")]
BLOCKED = 0.5  # how long a second writer is watched to be sure it waits for the first


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """Only PostgreSQL: SQLite serialises whole transactions, so nothing here could race."""
    return postgres_url


def first_holds_while_second_runs(sessions, first: Callable[[Any], object], second: Callable[[Any], object],
                                  unit_of_work: Callable[[Session], Any] = SqlUnitOfWork) -> object:
    """Run `first` in a transaction left open, start `second` in its own, check that it waits,
    commit `first`, and return what `second` returned or raised. Each is handed
    `unit_of_work(session)` of its transaction."""
    outcome: list[object] = []

    def run_second() -> None:
        with sessions() as session, session.begin():
            try:
                outcome.append(second(unit_of_work(session)))
            except Exception as refused:
                outcome.append(refused)

    with sessions() as session:
        session.begin()
        first(unit_of_work(session))
        racer = threading.Thread(target=run_second)
        racer.start()
        racer.join(BLOCKED)
        assert racer.is_alive(), "the second writer should wait for the first to commit"
        session.commit()
    racer.join(10)
    return outcome[0]


def test_two_concurrent_grants_of_a_role_make_one_assignment_one_event_and_one_audit_entry(
    sessions, clinic_id, stored
):
    def grant(uow: SqlUnitOfWork):
        return grant_role(uow, clinic_id, PRINCIPAL, "receptionist", None, utcnow())

    second = first_holds_while_second_runs(sessions, grant, grant)

    assert second.role_key == "receptionist"
    assert (stored.count("role_assignments"), stored.event_types(), stored.count("access_audit")) == (
        1, ["entitlements.role_assignment.granted.v1"], 1)


def test_many_simultaneous_grant_requests_make_one_assignment_and_one_event(app, clinic_id, stored):
    requests = 8
    start = threading.Barrier(requests)
    statuses: list[int] = []

    def put() -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.put(f"/clinics/{clinic_id}/principals/{PRINCIPAL}/roles/specialist").status_code)

    threads = [threading.Thread(target=put) for _ in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [200] * requests
    assert (stored.count("role_assignments"), stored.event_types(), stored.count("access_audit")) == (
        1, ["entitlements.role_assignment.granted.v1"], 1)


def test_two_concurrent_revokes_make_one_event(sessions, clinic_id, stored):
    with sessions() as session, session.begin():
        grant_role(SqlUnitOfWork(session), clinic_id, PRINCIPAL, "patient", None, utcnow())

    def revoke(uow: SqlUnitOfWork):
        return revoke_role(uow, clinic_id, PRINCIPAL, "patient", None, utcnow())

    assert first_holds_while_second_runs(sessions, revoke, revoke) is False
    assert stored.count("role_assignments") == 0
    assert stored.event_types()[1:] == ["entitlements.role_assignment.revoked.v1"]


def test_of_two_concurrent_creations_of_one_key_the_second_is_refused(sessions, clinic_id, stored):
    def create(uow: SqlUnitOfWork):
        return create_role(uow, clinic_id, "reports", "Reports", GRANTS, None, utcnow())

    second = first_holds_while_second_runs(sessions, create, create)

    assert isinstance(second, Conflict) and second.kind == "role-exists"
    assert (stored.count("roles"), stored.event_types()) == (1, ["entitlements.role.upserted.v1"])


def test_an_archive_racing_a_grant_that_committed_first_is_refused(sessions, clinic_id, stored):
    with sessions() as session, session.begin():
        create_role(SqlUnitOfWork(session), clinic_id, "reports", "Reports", GRANTS, None, utcnow())

    second = first_holds_while_second_runs(
        sessions,
        lambda uow: grant_role(uow, clinic_id, PRINCIPAL, "reports", None, utcnow()),
        lambda uow: archive_role(uow, clinic_id, "reports", 1, None, utcnow()),
    )

    assert isinstance(second, RoleInUse)
    assert stored.count("role_assignments") == 1


def test_a_grant_racing_an_archive_that_committed_first_is_refused(sessions, clinic_id, stored):
    with sessions() as session, session.begin():
        create_role(SqlUnitOfWork(session), clinic_id, "reports", "Reports", GRANTS, None, utcnow())

    second = first_holds_while_second_runs(
        sessions,
        lambda uow: archive_role(uow, clinic_id, "reports", 1, None, utcnow()),
        lambda uow: grant_role(uow, clinic_id, PRINCIPAL, "reports", None, utcnow()),
    )

    assert isinstance(second, RoleNotAssignable)
    assert stored.count("role_assignments") == 0


def staff_grant(session, clinic_id, principal_id, key):
    """A grant as the web app makes it: admitted against the staff limit in its own transaction."""
    return grant_role(SqlUnitOfWork(session), clinic_id, principal_id, key, None, utcnow(),
                      staff_limit=partial(admit_staff_role, SqlUsageUnitOfWork(session)))


def test_a_staff_members_second_role_keeps_their_seat_from_a_newcomer_while_their_first_is_revoked(
        sessions, clinic_id):
    member, newcomer = uuid.uuid4(), uuid.uuid4()
    with sessions() as session, session.begin():
        plans.publish_plan(SqlCommercialUnitOfWork(session), "solo", PlanKind.BASE, "Solo",
                           Terms(frozenset(), {"staff_users": 2}, Money(4900, "EUR"), Period.MONTH), (), None,
                           utcnow())
        subscriptions.subscribe(SqlCommercialUnitOfWork(session), clinic_id, "solo", None, utcnow())
        staff_grant(session, clinic_id, uuid.uuid4(), "clinic_admin")
        staff_grant(session, clinic_id, member, "receptionist")

    def member_takes_a_second_role_as_the_first_is_revoked(session) -> None:
        staff_grant(session, clinic_id, member, "specialist")  # staff already: no seat more
        with sessions() as other, other.begin():
            revoke_role(SqlUnitOfWork(other), clinic_id, member, "receptionist", None, utcnow())

    outcome = first_holds_while_second_runs(
        sessions, member_takes_a_second_role_as_the_first_is_revoked,
        lambda session: staff_grant(session, clinic_id, newcomer, "receptionist"),
        unit_of_work=lambda session: session,
    )

    assert isinstance(outcome, LimitReached)
    with sessions() as session:
        staff = next(m for m in usage_of(SqlUsageUnitOfWork(session), clinic_id, utcnow()).meters
                     if m.limit == "staff_users")
    assert (staff.used, staff.allowed) == (2, 2)
