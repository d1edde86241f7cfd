"""The events the gateway consumes (its queue is `<namespace>.gateway`).

Every event that can change an access decision advances the access generation of the clinic it
is about, so every web process stops using the decisions it remembers there: roles and their
assignments, patient tiers (a tier's role is its patients' role), enrollments (they open
telerehab and library access), a clinic's subscription, overrides and capability pauses (a
capability gates access), and the records of patients who have a login (which login a tier's
role follows; a guest's record, the common case while bookings pour in, changes no decision and
so forgets nothing). A change
of a capability's regulatory clearance is about every clinic: it advances the platform's
generation, which every clinic's decisions are stamped with too.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_contracts import Envelope, Event
from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    CapabilityPausedV1,
    CapabilityResumedV1,
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentRenewedV1,
    EntitlementOverrideGrantedV1,
    EntitlementOverrideRevokedV1,
    PatientTierChangedV1,
    RoleArchivedV1,
    RoleAssignmentGrantedV1,
    RoleAssignmentRevokedV1,
    RoleUpsertedV1,
    SubscriptionChangedV1,
    TierArchivedV1,
    TierUpsertedV1,
)
from clinic_contracts.events.scheduling import PatientArchivedV1, PatientUpsertedV1
from clinic_runtime.db import utcnow
from clinic_runtime.messaging.consumers import EventHandlers
from gateway.adapters.access_tables import PLATFORM, SqlAccessGenerations

handlers = EventHandlers("gateway")

CLINIC_ACCESS_CHANGES = (
    RoleUpsertedV1, RoleArchivedV1, RoleAssignmentGrantedV1, RoleAssignmentRevokedV1,
    TierUpsertedV1, TierArchivedV1, PatientTierChangedV1,
    EnrollmentGrantedV1, EnrollmentRenewedV1, EnrollmentExpiredV1, EnrollmentCanceledV1,
    SubscriptionChangedV1, EntitlementOverrideGrantedV1, EntitlementOverrideRevokedV1,
    CapabilityPausedV1, CapabilityResumedV1,
)
PATIENT_CHANGES = (PatientUpsertedV1, PatientArchivedV1)


@handlers.on(*CLINIC_ACCESS_CHANGES)
def on_clinic_access_change(session: Session, event: Event, _envelope: Envelope) -> None:
    SqlAccessGenerations(session).advance(event.clinic_id, utcnow())


@handlers.on(*PATIENT_CHANGES)
def on_patient_change(session: Session, event: PatientUpsertedV1 | PatientArchivedV1, _envelope: Envelope) -> None:
    if event.account_id is not None:
        SqlAccessGenerations(session).advance(event.clinic_id, utcnow())


@handlers.on(CapabilityClearanceChangedV1)
def on_clearance_change(session: Session, _event: CapabilityClearanceChangedV1, _envelope: Envelope) -> None:
    SqlAccessGenerations(session).advance(PLATFORM, utcnow())
