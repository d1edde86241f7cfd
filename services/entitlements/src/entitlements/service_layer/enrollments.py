"""Use cases on service-plan enrollments and the reservations bookings make against them.

A booking reserves a session while its slot is held; scheduling's `paid` (and, for events already
in flight, `confirmed`) commits it, its cancellation or an abandoned hold releases it, and the
worker releases a reservation nobody committed by its expiry. A reservation is kept under the
appointment the visit was booked as, which every appointment of its reschedule chain names, so
the chain's events, applied in any order (consumer lanes, redeliveries, dead letters replayed
later), settle one reservation and leave it as the visit ended. Every change of a count is one
conditional UPDATE (see adapters.care); the events' use cases decide on the reservation read
locked, so a timer and consumers racing for the same reservation settle it once, each on the
reservation as the one before left it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from clinic_contracts import uuid7
from clinic_contracts.events.entitlements import (
    EnrollmentCanceledV1,
    EnrollmentExpiredV1,
    EnrollmentGrantedV1,
    EnrollmentSnapshot,
    ReservationCommittedV1,
    ReservationReleasedV1,
    ReservationShortfallV1,
)
from clinic_runtime.problems import FieldError
from clinic_runtime.refusals import Invalid, NotFound
from entitlements.domain.audit import AuditAction, AuditEntry
from entitlements.domain.enrollments import (
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    NotUsable,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    enroll,
)
from entitlements.service_layer.care_unit_of_work import CareUnitOfWork

log = logging.getLogger(__name__)


class UnknownPatient(Exception):
    """The clinic's patient read model (kept from scheduling's events) has no live patient with this id."""


class EnrollmentNotUsable(Exception):
    def __init__(self, reason: NotUsable) -> None:
        super().__init__(str(reason))
        self.reason = reason


class NoSessionsLeft(Exception):
    def __init__(self, enrollment: Enrollment) -> None:
        super().__init__(f"enrollment {enrollment.id} has no session left")
        self.enrollment = enrollment


class ReservedElsewhere(Exception):
    """The appointment already holds a session of another enrollment."""

    def __init__(self, reservation: Reservation) -> None:
        super().__init__(f"appointment {reservation.appointment_id} holds a session of {reservation.enrollment_id}")
        self.reservation = reservation


class EnrollmentEnded(Exception):
    def __init__(self, enrollment: Enrollment) -> None:
        super().__init__(f"enrollment {enrollment.id} is {enrollment.status}")
        self.enrollment = enrollment


# -- enrollments --------------------------------------------------------------------------------


def enroll_patient(uow: CareUnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID, plan_id: uuid.UUID,
                   actor: uuid.UUID | None, now: datetime) -> Enrollment:
    """A direct purchase: the clinic was paid, staff enrol the patient in the plan."""
    known_patient(uow, clinic_id, patient_id)
    plan = uow.service_plans.get(clinic_id, plan_id)
    if plan is None or plan.archived:
        # Also while catalog's event for a new plan has not arrived yet.
        raise Invalid([FieldError("plan_id", "name a live service plan of this clinic")])
    enrollment = enroll(plan, patient_id, uuid7(), now, actor)
    uow.enrollments.add(enrollment)
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.ENROLLMENT_CREATED,
                                enrollment_subject(enrollment.id), None, enrollment_state(enrollment)))
    uow.publish(EnrollmentGrantedV1(clinic_id=clinic_id, enrollment=enrollment_snapshot(enrollment),
                                    occurred_at=now, granted_by=actor), clinic_id=clinic_id)
    return enrollment


def known_patient(uow: CareUnitOfWork, clinic_id: uuid.UUID, patient_id: uuid.UUID) -> None:
    """Refuse a patient the clinic does not have (or archived): nothing is written for them."""
    patient = uow.patients.get(clinic_id, patient_id)
    if patient is None or patient.archived:
        raise UnknownPatient(str(patient_id))


def existing_enrollment(uow: CareUnitOfWork, clinic_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment:
    enrollment = uow.enrollments.get(clinic_id, enrollment_id)
    if enrollment is None:
        raise NotFound("enrollment with this id in this clinic")
    return enrollment


def cancel_enrollment(uow: CareUnitOfWork, clinic_id: uuid.UUID, enrollment_id: uuid.UUID,
                      actor: uuid.UUID | None, now: datetime) -> Enrollment:
    """Staff cancel an enrollment: a soft end (data kept, leftover sessions unusable). Sessions
    already reserved by held bookings may still be committed when those are paid."""
    enrollment = existing_enrollment(uow, clinic_id, enrollment_id)
    ended = uow.enrollments.end(enrollment, EnrollmentStatus.CANCELED, now)
    if ended is None:
        raise EnrollmentEnded(uow.enrollments.get(clinic_id, enrollment_id) or enrollment)
    uow.audit.record(AuditEntry(uuid7(), clinic_id, actor, now, AuditAction.ENROLLMENT_CANCELED,
                                enrollment_subject(enrollment_id), enrollment_state(enrollment),
                                enrollment_state(ended)))
    uow.publish(EnrollmentCanceledV1(clinic_id=clinic_id, enrollment=enrollment_snapshot(ended), occurred_at=now,
                                     reason="staff", canceled_by=actor), clinic_id=clinic_id)
    return ended


def expire(uow: CareUnitOfWork, enrollment: Enrollment, now: datetime) -> bool:
    """End an active enrollment whose sessions and access have both lapsed (the worker found it
    due); False when it had ended already."""
    expired = uow.enrollments.end(enrollment, EnrollmentStatus.EXPIRED, now)
    if expired is None:
        return False
    reason = "tier_period_ended" if expired.source is EnrollmentSource.TIER else "window_ended"
    uow.publish(EnrollmentExpiredV1(clinic_id=expired.clinic_id, enrollment=enrollment_snapshot(expired),
                                    occurred_at=now, reason=reason), clinic_id=expired.clinic_id)
    return True


# -- reservations -------------------------------------------------------------------------------


def reserve(uow: CareUnitOfWork, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, appointment_id: uuid.UUID,
            patient_id: uuid.UUID, service_id: uuid.UUID | None, now: datetime,
            hold: timedelta) -> tuple[Reservation, bool]:
    """Hold one session of the enrollment for the appointment until `now + hold`; (the
    reservation, whether it is new). Asking again for the same appointment answers the same while
    it is reserved or committed; once released, asking again takes a session again."""
    enrollment = existing_enrollment(uow, clinic_id, enrollment_id)
    held = uow.reservations.get(clinic_id, appointment_id)
    if held is not None and held.status is not ReservationStatus.RELEASED:
        return _same_reservation(held, enrollment_id), False
    refusal = enrollment.refusal(patient_id, service_id, now)
    if refusal is not None:
        raise EnrollmentNotUsable(refusal)
    if held is None:
        reservation = Reservation(clinic_id, appointment_id, uuid7(), enrollment_id, patient_id,
                                  ReservationStatus.RESERVED, now, now + hold, None)
        stored = uow.reservations.add(reservation)
    else:
        reservation = replace(held, enrollment_id=enrollment_id, patient_id=patient_id,
                              status=ReservationStatus.RESERVED, reserved_at=now, expires_at=now + hold,
                              settled_at=None, released_reason=None)
        stored = uow.reservations.replace_released(held, reservation)
    if not stored:
        # A concurrent request for the same appointment stored (or revived) its reservation first.
        return _same_reservation(uow.reservations.get(clinic_id, appointment_id), enrollment_id), False  # type: ignore[arg-type]
    if not uow.enrollments.take_session(clinic_id, enrollment_id, now):
        raise NoSessionsLeft(enrollment)
    return reservation, True


def _same_reservation(held: Reservation, enrollment_id: uuid.UUID) -> Reservation:
    if held.enrollment_id != enrollment_id:
        raise ReservedElsewhere(held)
    return held


def commit(uow: CareUnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID,
           enrollment_id: uuid.UUID | None, patient_id: uuid.UUID, service_id: uuid.UUID | None,
           now: datetime) -> Reservation | None:
    """The visit booked as `appointment_id` was paid (or needed no payment) with its appointment
    naming `enrollment_id`: a session of that enrollment is used, and only of that one.

    Its reservation of that enrollment is committed. One of another enrollment, or held for an
    appointment that names none (the booking that reserved it was refused, and its key was then
    used for a booking without the plan), is undone. A visit on the enrollment that holds no
    session of it (a staff booking at scheduling, a reservation that lapsed or was undone) takes
    one now, if the enrollment is still usable by it and a session remains; if not, a shortfall
    is published for the clinic to settle with the patient."""
    held = uow.reservations.get(clinic_id, appointment_id, lock=True)
    if held is not None and (held.status is ReservationStatus.COMMITTED or held.canceled):
        # Paid already (`paid` and then `confirmed` both commit), or a canceled visit's payment
        # event that arrives late: it takes no session.
        return None
    if held is not None and held.status is ReservationStatus.RESERVED:
        if held.enrollment_id == enrollment_id:
            if not uow.reservations.settle(held, ReservationStatus.COMMITTED, now):
                return None
            uow.enrollments.commit_session(clinic_id, held.enrollment_id)
            _publish_settled(uow, held, now, ReservationCommittedV1)
            return replace(held, status=ReservationStatus.COMMITTED, settled_at=now)
        # `held` is locked since it was read, so it is undone as read; what follows uses only
        # its key and id, which the release leaves as they were.
        _release_held(uow, held, ReleaseReason.UNDONE, now)
    if enrollment_id is None:
        return None
    shortfall = _use_session(uow, clinic_id, enrollment_id, patient_id, service_id, now)
    if shortfall is not None:
        log.warning("a paid appointment could take no session of its enrollment",
                    extra={"appointment_id": str(appointment_id), "enrollment_id": str(enrollment_id),
                           "reason": shortfall})
        uow.publish(ReservationShortfallV1(
            clinic_id=clinic_id, appointment_id=appointment_id, enrollment_id=enrollment_id,
            patient_id=patient_id, reason=shortfall, occurred_at=now), clinic_id=clinic_id)
        return None
    committed = Reservation(clinic_id, appointment_id, uuid7() if held is None else held.id, enrollment_id,
                            patient_id, ReservationStatus.COMMITTED, now, now, now)
    if held is None and not uow.reservations.add(committed):
        # Another event of the visit stored its reservation first (a row that did not exist could
        # not be locked): the session goes back, and the visit is decided on what was stored.
        uow.enrollments.return_session(clinic_id, enrollment_id, ReservationStatus.COMMITTED)
        return commit(uow, clinic_id, appointment_id, enrollment_id, patient_id, service_id, now)
    if held is not None:
        uow.reservations.replace_released(held, committed)
    _publish_settled(uow, committed, now, ReservationCommittedV1)
    return committed


def _use_session(uow: CareUnitOfWork, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, patient_id: uuid.UUID,
                 service_id: uuid.UUID | None, now: datetime) -> str | None:
    """Use one session of the enrollment for the patient's appointment; why not, when it cannot."""
    enrollment = uow.enrollments.get(clinic_id, enrollment_id)
    if enrollment is None:
        return "unknown_enrollment"
    refusal = enrollment.refusal(patient_id, service_id, now)
    if refusal is not None:
        return str(refusal)
    # The UPDATE re-checks status, window and count, in case the enrollment changed since read.
    if not uow.enrollments.use_session(clinic_id, enrollment_id, now):
        return "no_sessions_left"
    return None


def release(uow: CareUnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, reason: ReleaseReason,
            now: datetime, *, enrollment_id: uuid.UUID | None = None,
            patient_id: uuid.UUID | None = None) -> Reservation | None:
    """Give the session of the visit booked as `appointment_id` back to its enrollment; None when
    it holds none (any more), or when `reason` does not give back what it holds: only a
    cancellation gives back a used session (`Reservation.given_back_for`).

    A cancellation is final, and events arrive in any order: it is kept on the released
    reservation, or, for a visit booked against `enrollment_id` that holds none yet (a staff
    booking whose payment event is still on its way), on a released reservation made for it, so
    that no late `paid` or `confirmed` takes a session for it."""
    held = uow.reservations.get(clinic_id, appointment_id, lock=True)
    canceled = reason is ReleaseReason.APPOINTMENT_CANCELED
    if held is None:
        if canceled and enrollment_id is not None and patient_id is not None and not uow.reservations.add(
                Reservation(clinic_id, appointment_id, uuid7(), enrollment_id, patient_id,
                            ReservationStatus.RELEASED, now, now, now, reason)):
            # Another event of the visit stored its reservation first: the cancellation applies to it.
            return release(uow, clinic_id, appointment_id, reason, now)
        return None
    return _release_held(uow, held, reason, now)


def _release_held(uow: CareUnitOfWork, held: Reservation, reason: ReleaseReason,
                  now: datetime) -> Reservation | None:
    """`release` of the reservation `held`, read locked by the caller in this transaction (so it
    is as stored): the session goes back when `reason` gives back what it holds."""
    canceled = reason is ReleaseReason.APPOINTMENT_CANCELED
    if held.status is ReservationStatus.RELEASED:
        if canceled and not held.canceled:
            uow.reservations.settle(held, ReservationStatus.RELEASED, now, reason)
        return None
    if not held.given_back_for(reason) or not uow.reservations.settle(held, ReservationStatus.RELEASED, now,
                                                                       reason):
        return None
    _give_back(uow, held)
    _publish_settled(uow, held, now, ReservationReleasedV1, reason=str(reason))
    return held


def _give_back(uow: CareUnitOfWork, held: Reservation) -> None:
    """Return the session to its enrollment, and on to where that one's leftovers were carried
    when a renewal carried them (to the end of the chain of such renewals): given back after the
    renewal, it is a leftover too, and would otherwise lapse on a grant that has ended. Without
    carry it stays on the old grant and lapses with the period's other leftovers.

    The return comes first: its UPDATE waits for a renewal ending the grant at the same time, so
    either the renewal counts the returned session among the leftovers it carries, or this finds
    the grant the renewal carried them to."""
    clinic_id = held.clinic_id
    uow.enrollments.return_session(clinic_id, held.enrollment_id, held.status)
    last = uow.enrollments.carried_to(clinic_id, held.enrollment_id)
    while last is not None and (later := uow.enrollments.carried_to(clinic_id, last.id)) is not None:
        last = later
    if last is not None:
        uow.enrollments.pass_on_session(clinic_id, held.enrollment_id, last.id)


def move(uow: CareUnitOfWork, clinic_id: uuid.UUID, previous_appointment_id: uuid.UUID,
         appointment_id: uuid.UUID, now: datetime) -> bool:
    """A reservation kept under an appointment since rescheduled goes on under `appointment_id`,
    unless the visit was canceled there before this event arrived; then the session goes back.

    Only for reservations kept before scheduling named the first appointment of a reschedule
    chain: those were keyed by the appointment their last event named, and move along with it."""
    held = uow.reservations.get(clinic_id, previous_appointment_id, lock=True)
    if held is None:
        return False
    successor = uow.reservations.get(clinic_id, appointment_id, lock=True)
    if successor is not None:
        if successor.canceled:
            _release_held(uow, held, ReleaseReason.APPOINTMENT_CANCELED, now)
        return False
    return uow.reservations.move(held, appointment_id)


def release_lapsed(uow: CareUnitOfWork, held: Reservation, now: datetime) -> bool:
    """Release a reservation nobody committed by its expiry (the worker found it due); False when
    it was settled meanwhile."""
    return release(uow, held.clinic_id, held.appointment_id, ReleaseReason.RESERVATION_EXPIRED, now) is not None


def _publish_settled(uow: CareUnitOfWork, reservation: Reservation, now: datetime, event_type, **fields) -> None:
    enrollment = uow.enrollments.get(reservation.clinic_id, reservation.enrollment_id)
    uow.publish(event_type(
        clinic_id=reservation.clinic_id, reservation_id=reservation.id, enrollment_id=reservation.enrollment_id,
        appointment_id=reservation.appointment_id, patient_id=reservation.patient_id,
        sessions_remaining=enrollment.sessions_remaining if enrollment is not None else 0, occurred_at=now, **fields,
    ), clinic_id=reservation.clinic_id)


# -- representations shared by events and the audit ---------------------------------------------


def enrollment_subject(enrollment_id: uuid.UUID) -> str:
    return f"enrollment/{enrollment_id}"


def enrollment_state(enrollment: Enrollment) -> dict[str, object]:
    return {"plan_id": str(enrollment.plan_id), "patient_id": str(enrollment.patient_id),
            "source": str(enrollment.source), "tier_key": enrollment.tier_key,
            "sessions_granted": enrollment.sessions_granted, "status": str(enrollment.status)}


def enrollment_snapshot(enrollment: Enrollment) -> EnrollmentSnapshot:
    return EnrollmentSnapshot(
        enrollment_id=enrollment.id, patient_id=enrollment.patient_id, plan_id=enrollment.plan_id,
        plan_name=enrollment.plan_name, source=str(enrollment.source), tier_key=enrollment.tier_key,
        service_ids=list(enrollment.service_ids), access_grants=[str(g) for g in enrollment.access_grants],
        sessions_granted=enrollment.sessions_granted, sessions_reserved=enrollment.sessions_reserved,
        sessions_used=enrollment.sessions_used, sessions_remaining=enrollment.sessions_remaining,
        starts_at=enrollment.starts_at, sessions_until=enrollment.sessions_until,
        access_until=enrollment.access_until, status=str(enrollment.status), ended_at=enrollment.ended_at,
        version=enrollment.version,
    )
