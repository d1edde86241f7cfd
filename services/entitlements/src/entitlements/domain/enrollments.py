"""Service-plan enrollments: a patient's sessions and access from one service plan, bought
directly (staff enrol the patient) or granted by their tier.

Counts: `granted` sessions, of which `reserved` are held by bookings not yet paid and `used` are
paid for; the rest remain. A booking reserves a session while its slot is held, the payment
commits it, a cancellation or an abandoned hold releases it. An enrollment that ended (expired at
the end of its window, or cancelled) keeps its data but its leftover sessions can no longer be
taken: a soft end.

A tier inclusion that carries its leftovers into the next period makes that period's grant name
the one it carried from (`carried_from`). A session given back to the old grant after the renewal
(a visit cancelled, a hold abandoned) is a leftover too, and goes on to the grant the others went
to. Without carry a period's leftovers lapse with it, and so does a session given back later: it
returns to the old grant, where it can no longer be used.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from entitlements.domain.service_plans import AccessGrant, ServicePlan


class EnrollmentSource(enum.StrEnum):
    PURCHASE = "purchase"
    TIER = "tier"


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"  # its window closed, or its tier period or tier ended
    CANCELED = "canceled"  # staff cancelled it, or the patient's tier was cancelled


class ReservationStatus(enum.StrEnum):
    RESERVED = "reserved"
    COMMITTED = "committed"
    RELEASED = "released"


class ReleaseReason(enum.StrEnum):
    APPOINTMENT_CANCELED = "appointment_canceled"
    APPOINTMENT_EXPIRED = "appointment_expired"  # the hold lapsed or its payment failed
    RESERVATION_EXPIRED = "reservation_expired"  # never committed before its expiry
    UNDONE = "undone"  # the booking that asked for it could not hold the slot


class NotUsable(enum.StrEnum):
    """Why a session of an enrollment cannot be taken for a booking."""

    OTHER_PATIENT = "other_patient"
    ENDED = "ended"
    NOT_STARTED = "not_started"
    SESSIONS_EXPIRED = "sessions_expired"
    OTHER_SERVICE = "other_service"


@dataclass(frozen=True)
class Enrollment:
    clinic_id: uuid.UUID
    id: uuid.UUID
    patient_id: uuid.UUID
    plan_id: uuid.UUID
    plan_name: str
    source: EnrollmentSource
    tier_key: str | None  # the tier that granted it
    grant_key: str | None  # the tier inclusion and period it was granted for
    service_ids: tuple[uuid.UUID, ...]  # empty: any service of the clinic
    access_grants: tuple[AccessGrant, ...]
    sessions_granted: int
    sessions_reserved: int
    sessions_used: int
    starts_at: datetime
    sessions_until: datetime | None  # None: the sessions never lapse
    access_until: datetime | None  # None: the access never lapses
    status: EnrollmentStatus
    ended_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    version: int
    carried_from: uuid.UUID | None = None  # the previous period's grant whose leftovers this one carries

    @property
    def sessions_remaining(self) -> int:
        return max(self.sessions_granted - self.sessions_reserved - self.sessions_used, 0)

    def refusal(self, patient_id: uuid.UUID, service_id: uuid.UUID | None, at: datetime) -> NotUsable | None:
        """Why a booking of `patient_id` (for `service_id`, when known) may not take a session at
        `at`; None when it may (if one remains)."""
        if patient_id != self.patient_id:
            return NotUsable.OTHER_PATIENT
        if self.status is not EnrollmentStatus.ACTIVE:
            return NotUsable.ENDED
        if at < self.starts_at:
            return NotUsable.NOT_STARTED
        if self.sessions_until is not None and at >= self.sessions_until:
            return NotUsable.SESSIONS_EXPIRED
        if service_id is not None and self.service_ids and service_id not in self.service_ids:
            return NotUsable.OTHER_SERVICE
        return None

    def access_open_at(self, at: datetime) -> bool:
        return (self.status is EnrollmentStatus.ACTIVE and self.starts_at <= at
                and (self.access_until is None or at < self.access_until))


def enroll(plan: ServicePlan, patient_id: uuid.UUID, enrollment_id: uuid.UUID, now: datetime,
           created_by: uuid.UUID | None) -> Enrollment:
    """A direct purchase: the plan's sessions and windows, counted from `now`."""
    sessions_until, access_until = plan.window_from(now)
    return Enrollment(
        plan.clinic_id, enrollment_id, patient_id, plan.plan_id, plan.name, EnrollmentSource.PURCHASE, None, None,
        plan.service_ids, plan.access_grants, plan.sessions or 0, 0, 0, now, sessions_until, access_until,
        EnrollmentStatus.ACTIVE, None, created_by, now, 1,
    )


def grant_for_tier(plan: ServicePlan, patient_id: uuid.UUID, enrollment_id: uuid.UUID, tier_key: str,
                   sessions: int, period_start: datetime, period_end: datetime, now: datetime,
                   changed_by: uuid.UUID | None, carried_from: uuid.UUID | None = None) -> Enrollment:
    """A tier inclusion for one tier period: sessions and access last until the period ends.
    `grant_key` names the patient, inclusion and period, so it is granted once however often it
    is asked (a second renewal run, or a patient moved off the tier and back within the period).
    `carried_from`: the previous period's grant, when its leftovers are in `sessions`."""
    grant_key = f"{patient_id}/{tier_key}/{plan.plan_id}/{period_start.isoformat()}"
    return Enrollment(
        plan.clinic_id, enrollment_id, patient_id, plan.plan_id, plan.name, EnrollmentSource.TIER, tier_key,
        grant_key, plan.service_ids, plan.access_grants, sessions, 0, 0, period_start, period_end, period_end,
        EnrollmentStatus.ACTIVE, None, changed_by, now, 1, carried_from,
    )


@dataclass(frozen=True)
class Reservation:
    """The session an appointment holds of an enrollment. Kept under the appointment the visit
    was booked as: a reschedule makes a new appointment, and every appointment of the chain names
    the first, so all of the visit's events settle this one reservation in whatever order they
    arrive."""

    clinic_id: uuid.UUID
    appointment_id: uuid.UUID  # the appointment the visit was booked as (the first of its reschedule chain)
    id: uuid.UUID
    enrollment_id: uuid.UUID
    patient_id: uuid.UUID
    status: ReservationStatus
    reserved_at: datetime
    expires_at: datetime  # released by the worker if not committed by then
    settled_at: datetime | None  # when it was committed or released
    released_reason: ReleaseReason | None = None  # None also for one released before reasons were kept

    @property
    def canceled(self) -> bool:
        """Released because its appointment was canceled: final, whatever event comes later."""
        return (self.status is ReservationStatus.RELEASED
                and self.released_reason is ReleaseReason.APPOINTMENT_CANCELED)

    def given_back_for(self, reason: ReleaseReason) -> bool:
        """Whether a release for `reason` gives its session back. A held session goes back for any
        reason; a used one only when the visit is canceled. An expiry (of the hold or of the
        reservation) or an undo only ever concerns a hold nobody paid for: one that comes after the
        payment is stale (applied late, or the hold expired and was then paid and taken again)."""
        if self.status is ReservationStatus.RESERVED:
            return True
        return self.status is ReservationStatus.COMMITTED and reason is ReleaseReason.APPOINTMENT_CANCELED
