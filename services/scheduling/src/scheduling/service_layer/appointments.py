"""Appointments: booking (a hold), the payment's outcome, and every later command.

Booking. A booking names a service, a start and optionally a specialist and calendar. The start
must be a slot the slot engine offers (the service's duration and buffers, minimum notice,
horizon, availability, calendars; scheduling.service_layer.slots), else Invalid (422). A start
the engine would offer but for other appointments is SlotTaken (409). Without a specialist, the
first one free at that start (by id) is taken. The appointment is `pending_payment` until
`hold_expires_at` (HOLD_MINUTES) and publishes `scheduling.appointment.held.v1`. A booking that
names its `appointment_id` is idempotent by it: the same booking again (same service, start and
specialist, if named) answers with the appointment that exists, even when both run at once; a
different booking with that id is a conflict.

No double booking. Before writing, the specialist's appointments whose time overlaps the new
one's (buffers included) are locked; holds among them past their expiry are expired there and
then (their `expired` events published), so an abandoned hold the worker has not swept yet
never blocks a booking. Any other overlap is SlotTaken. The database has the last word: the
PostgreSQL exclusion constraint refuses the loser of a race, and on SQLite the check and the
write run under the one write lock (scheduling.adapters.appointments).

Payment outcomes (billing's events):
- succeeded, appointment pending_payment (even past its hold time, when nobody expired it yet:
  the slot is still its own): `paid`, announced at once by `scheduling.appointment.paid.v1`; the
  meetings job then makes the video meeting outside any transaction and publishes
  `scheduling.appointment.confirmed.v1`.
- succeeded after the hold expired: the slot is held again if it is still free (nothing else of
  the specialist overlaps it, overdue holds aside): the appointment becomes `paid` (`paid.v1`)
  and goes on as above. Otherwise `scheduling.appointment.refund_due.v1` (slot_taken_after_hold_expired) tells
  billing to refund the payment in full; the appointment stays expired. Availability is not
  checked again: the patient booked a slot that was offered, and paid for it.
- succeeded for an appointment that can no longer be paid (canceled, or already paid by another
  payment): refund due (appointment_no_longer_payable). The payment that paid it, reported
  again, changes nothing; a payment refused here is refused each time it is reported, and
  billing refunds one payment once, by its id (the contract says so).
- succeeded with an amount or currency other than the appointment's price: refund due
  (appointment_no_longer_payable: the contract has no more precise reason yet, and adding one
  would break its consumers), and the appointment is left as it is (it may still be paid right).
- a payment for an appointment since rescheduled applies to its successor.
- succeeded for an appointment the clinic does not have here: PaymentForUnknownAppointment,
  so the event is dead-lettered (a refund_due needs the appointment) rather than acknowledged.
- failed: a pending_payment appointment is `expired` (payment_failed) and its slot freed;
  otherwise nothing changes.

A booking with nothing to pay (an enrollment's session, or a price of zero) is settled by the
gateway with `settle_without_payment` instead, and goes on as paid (`paid.v1`, then `confirmed`,
both without payment_id).

A start before now or past the longest booking horizon is Invalid before the slot engine runs.

Overdue holds (scheduling.domain.appointments): reschedule and provider change are 409
`hold-expired`; canceling one, or an expired one, cancels it (so a payment still on its way is
refunded). A cancel reason holds no control characters (line breaks aside).

Later commands (cancel, reschedule, provider change, complete, no-show) take the appointment's
version when the caller sends one (If-Match), publish their event, and are recorded in the audit
trail when staff or a specialist acts. Reschedule and provider change are checked by the same
engine and buffers, with the appointment's own time counted free, and without the minimum notice
(STAFF_NOTICE).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clinic_contracts import uuid7
from clinic_contracts.events import catalog as catalog_events
from clinic_contracts.events import scheduling as events
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from scheduling.adapters.appointments import AppointmentFilter, AuditEntry
from scheduling.adapters.busy_times import AppointmentsBusyTimes
from scheduling.domain.appointments import (
    Actor,
    AlreadyBooked,
    Appointment,
    HoldExpired,
    SlotTaken,
    TransitionRefused,
)
from scheduling.domain.errors import RuleBroken
from scheduling.domain.offerings import CalendarSnapshot, Money, ServiceSnapshot
from scheduling.domain.slots import Busy, ServiceTimes
from scheduling.domain.text import check_text, is_blank
from scheduling.domain.video import VideoMeeting
from scheduling.service_layer import audit
from scheduling.service_layer.patients import PatientDetails, patient_for_booking
from scheduling.service_layer.slots import LONGEST_HORIZON, SlotQuery, service_times, slot_finder
from scheduling.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_CANCELLATION_WINDOW_HOURS = 24  # the contract's default, for a clinic catalog has not told us about yet
SYSTEM = Actor("system")
# Moving an appointment (reschedule, another specialist) is staff's, who may do it up to its start:
# a specialist off sick an hour before a visit hands it to a colleague. The minimum notice keeps
# new bookings from surprising a specialist; a moved one was arranged with them.
STAFF_NOTICE = timedelta(0)


@dataclass(frozen=True)
class Booking:
    clinic_id: uuid.UUID
    service_id: uuid.UUID
    start: datetime  # aware
    actor: Actor
    provider_id: uuid.UUID | None = None
    calendar_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    patient: PatientDetails | None = None
    sms_consent: tuple[bool, str] | None = None  # (given, text version)
    enrollment_id: uuid.UUID | None = None
    appointment_id: uuid.UUID | None = None
    new_patient_allowed: bool = True


# -- booking ----------------------------------------------------------------------------------


def book(uow: UnitOfWork, booking: Booking, *, hold: timedelta, now: datetime) -> Appointment:
    service = _service(uow, booking.clinic_id, booking.service_id)
    start = _in_utc(booking.start)
    if booking.appointment_id is not None:
        existing = uow.appointments.get(booking.clinic_id, booking.appointment_id)
        if existing is not None:
            return _same_booking(existing, booking, start)
    try:
        calendar, free = _offered(uow, service, service_times(service), start, booking.provider_id,
                                  booking.calendar_id, now, ignoring=())
    except SlotTaken:
        _answer_if_retried(uow, booking, start)
        raise
    patient = patient_for_booking(uow, booking.clinic_id, patient_id=booking.patient_id, details=booking.patient,
                                  consent=booking.sms_consent, actor=booking.actor, now=now,
                                  new_patient_allowed=booking.new_patient_allowed)
    calendar_id = calendar.calendar_id if calendar else None
    price = _price(service, calendar)
    appointment_id = booking.appointment_id or uuid7()
    for provider_id in free:
        appointment = Appointment(
            clinic_id=booking.clinic_id, appointment_id=appointment_id, patient_id=patient.patient_id,
            provider_id=provider_id, service_id=service.service_id, calendar_id=calendar_id,
            start=start, end=start + timedelta(minutes=service.duration_minutes),
            buffer_before=timedelta(minutes=service.buffer_before_minutes),
            buffer_after=timedelta(minutes=service.buffer_after_minutes),
            timezone=_shown_zone(uow, booking.clinic_id, provider_id), status="pending_payment", price=price,
            enrollment_id=booking.enrollment_id, hold_expires_at=now + hold, booked_by=booking.actor,
            sms_consent=booking.sms_consent[0] if booking.sms_consent else None, version=1, created_at=now,
            updated_at=now)
        try:
            _clear_time(uow, appointment, now)
            uow.appointments.add(appointment)
        except (SlotTaken, AlreadyBooked):
            _answer_if_retried(uow, booking, start)
            continue
        uow.publish(events.AppointmentHeldV1(**_event_fields(appointment, booking.actor, now),
                                             hold_expires_at=appointment.hold_expires_at), clinic_id=booking.clinic_id)
        _audit(uow, booking.actor, "appointment.booked", None, appointment, now)
        return appointment
    raise SlotTaken()


class RetriedBooking(Exception):  # noqa: N818 - an outcome, not a failure
    """The same booking, retried while its first attempt was in flight, won the time: the answer
    is that appointment, and whatever this attempt wrote (a patient it registered) is dropped."""

    def __init__(self, appointment: Appointment) -> None:
        super().__init__("the booking was made by an earlier attempt")
        self.appointment = appointment


def _answer_if_retried(uow: UnitOfWork, booking: Booking, start: datetime) -> None:
    """RetriedBooking when the time went to this booking's own appointment id."""
    if booking.appointment_id is not None and (
            won := uow.appointments.get(booking.clinic_id, booking.appointment_id)) is not None:
        raise RetriedBooking(_same_booking(won, booking, start))


def _same_booking(existing: Appointment, booking: Booking, start: datetime) -> Appointment:
    """A booking naming an appointment id that exists is a retry when it asks for the same thing
    (it then answers with that appointment); anything else is a conflict."""
    if (existing.service_id, existing.start) == (booking.service_id, start) and (
            booking.provider_id in (None, existing.provider_id)):
        return existing
    raise Conflict("appointment-exists", "another booking has this appointment id")


def _in_utc(start: datetime) -> datetime:
    try:
        return start.astimezone(UTC)
    except OverflowError:  # e.g. year 1 at +14:00 is before year 1 in UTC
        raise Invalid([RuleBroken("start", "is not a slot of this service: it is outside the calendar")]) from None


def _offered(uow: UnitOfWork, service: ServiceSnapshot, visit: ServiceTimes, start: datetime,
             provider_id: uuid.UUID | None, calendar_id: uuid.UUID | None, now: datetime, *,
             ignoring: list[uuid.UUID], minimum_notice: timedelta | None = None,
             ) -> tuple[CalendarSnapshot | None, list[uuid.UUID]]:
    """The calendar `start` is booked through and the specialists the engine offers it with, by
    id, for a `visit` of that length and buffers; SlotTaken when only other appointments are in
    the way, Invalid when it is no slot of the service at all. The calendar is the one named, or
    else the cheapest of the service's that offers the start (its price is what the patient saw
    for that time), or None for a service without calendars."""
    _within_horizon(start, now)
    query = SlotQuery(service.clinic_id, service.service_id, start.date(), start.date(), "UTC", provider_id,
                      calendar_id)

    # Only the busy time this start's slot (buffers included) would meet decides it.
    occupied = (start - visit.buffer_before, start + visit.duration + visit.buffer_after)
    finder = slot_finder(uow, AppointmentsBusyTimes(uow.appointments, now, ignoring), query, now,
                         busy_within=occupied, visit=visit, minimum_notice=minimum_notice)

    def at_start(busy: list[Busy], calendars: list[CalendarSnapshot] | None = None) -> list[uuid.UUID]:
        return [slot.provider_id for slot in finder.find(busy, calendars) if slot.start.timestamp() == start.timestamp()]

    for calendar in sorted(finder.calendars, key=lambda c: (_price(service, c).amount_minor, c.calendar_id)):
        if free := at_start(finder.taken, [calendar]):
            return calendar, free
    if not finder.calendars and (free := at_start(finder.taken)):
        return None, free
    if at_start([]):  # free but for other appointments
        raise SlotTaken()
    raise Invalid([RuleBroken("start", "is not a slot of this service: ask for the service's slots and pick one "
                                       "(duration, buffers, notice, booking horizon and availability decide them)")])


def _within_horizon(start: datetime, now: datetime) -> None:
    """Invalid unless `start` lies between now and the longest booking horizon: checked before
    anything computes with it, since the days around a start in year 1 or 9999 do not exist."""
    if not now <= start <= now + LONGEST_HORIZON:
        raise Invalid([RuleBroken("start", "is not a slot of this service: it must lie between now and the "
                                           "booking horizon")])


def _visit(appointment: Appointment) -> ServiceTimes:
    """The appointment's own length and buffers, kept from its booking whatever the service has
    become since."""
    return ServiceTimes(appointment.end - appointment.start, appointment.buffer_before, appointment.buffer_after)


def _clear_time(uow: UnitOfWork, appointment: Appointment, now: datetime) -> None:
    """Expire the overdue holds in the appointment's way; SlotTaken when anything else is."""
    for other in uow.appointments.overlapping(appointment.clinic_id, appointment.provider_id,
                                              appointment.occupied_from, appointment.occupied_until,
                                              ignoring=[appointment.appointment_id]):
        if not other.hold_overdue(now):
            raise SlotTaken()
        _expire(uow, other, "hold_expired", now)


def _expire(uow: UnitOfWork, appointment: Appointment, reason: str, now: datetime) -> Appointment:
    expired = appointment.expire(reason, now)
    uow.appointments.save(expired)
    uow.publish(events.AppointmentExpiredV1(**_event_fields(expired, SYSTEM, now), reason=reason),
                clinic_id=expired.clinic_id)
    return expired


# -- payment outcomes -------------------------------------------------------------------------


class PaymentForUnknownAppointment(LookupError):
    """Billing's payment names an appointment the clinic does not have here. Raised, not passed
    over: the event then goes to the dead-letter queue for someone to act on, since no refund can
    be asked for without the appointment, and acknowledging it would lose the patient's money
    from sight."""

    def __init__(self, appointment_id: uuid.UUID, payment_id: uuid.UUID) -> None:
        super().__init__(f"payment {payment_id} is for appointment {appointment_id}, which this clinic does not have")


def payment_succeeded(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, payment_id: uuid.UUID,
                      amount: Money, now: datetime) -> Appointment:
    appointment = _current(uow, clinic_id, appointment_id)
    if appointment is None:
        raise PaymentForUnknownAppointment(appointment_id, payment_id)
    if appointment.payment_id == payment_id:
        return appointment
    if appointment.status in ("pending_payment", "expired") and amount != appointment.price:
        log.warning("payment amount differs from the appointment's price; refund due",
                    extra={"appointment_id": str(appointment_id), "payment_id": str(payment_id)})
        _refund_due(uow, appointment, payment_id, amount, "appointment_no_longer_payable", now)
        return appointment
    if appointment.status in ("pending_payment", "expired") and appointment.start <= now:
        # Settled too late for the visit: paying it now would charge for a time that is over.
        log.warning("payment after the appointment's start; refund due",
                    extra={"appointment_id": str(appointment_id), "payment_id": str(payment_id)})
        _refund_due(uow, appointment, payment_id, amount, "appointment_no_longer_payable", now)
        return appointment
    if appointment.status == "pending_payment":
        paid = appointment.pay(payment_id, now)
        uow.appointments.save(paid)
        _publish_paid(uow, paid, SYSTEM, now)
        return paid
    if appointment.status == "expired":
        paid = appointment.pay(payment_id, now)
        try:
            _clear_time(uow, paid, now)
            uow.appointments.save(paid)
        except SlotTaken:
            _refund_due(uow, appointment, payment_id, amount, "slot_taken_after_hold_expired", now)
            return appointment
        _publish_paid(uow, paid, SYSTEM, now)
        return paid
    _refund_due(uow, appointment, payment_id, amount, "appointment_no_longer_payable", now)
    return appointment


def settle_without_payment(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, actor: Actor,
                           expected_version: int | None, now: datetime) -> Appointment:
    """A booking with nothing to pay (an enrollment's session, or no charge) goes on as paid."""
    held = _held(uow, clinic_id, appointment_id, expected_version)
    if held.hold_overdue(now):
        raise Conflict("hold-expired", "the hold expired: book again")
    settled = _apply(lambda: held.settle_without_payment(now))
    uow.appointments.save(settled)
    _publish_paid(uow, settled, actor, now)
    _audit(uow, actor, "appointment.settled_without_payment", held, settled, now)
    return settled


def _publish_paid(uow: UnitOfWork, paid: Appointment, actor: Actor, now: datetime) -> None:
    # At once, not with `confirmed`: that waits for the video meeting, and what the payment
    # decides (the enrollment session it uses, whose reservation lapses after half an hour) must
    # not wait on a video provider that is down.
    uow.publish(events.AppointmentPaidV1(**_event_fields(paid, actor, now), payment_id=paid.payment_id),
                clinic_id=paid.clinic_id)


def payment_failed(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, now: datetime) -> None:
    appointment = _current(uow, clinic_id, appointment_id)
    if appointment is not None and appointment.status == "pending_payment":
        _expire(uow, appointment, "payment_failed", now)


def _current(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
    """The appointment, or the one it was rescheduled to (and so on), locked."""
    appointment = uow.appointments.held_for_change(clinic_id, appointment_id)
    while appointment is not None and appointment.status == "rescheduled" and appointment.rescheduled_to:
        appointment = uow.appointments.held_for_change(clinic_id, appointment.rescheduled_to)
    return appointment


def _refund_due(uow: UnitOfWork, appointment: Appointment, payment_id: uuid.UUID, amount: Money, reason: str,
                now: datetime) -> None:
    uow.publish(events.AppointmentRefundDueV1(
        **_event_fields(appointment, SYSTEM, now), payment_id=payment_id,
        amount=catalog_events.Money(amount_minor=amount.amount_minor, currency=amount.currency), reason=reason,
    ), clinic_id=appointment.clinic_id)


def expire_overdue_holds(uow: UnitOfWork, now: datetime, limit: int = 100) -> int:
    """Expire holds past their time (any clinic); a row another worker is expiring is skipped."""
    overdue = uow.appointments.overdue_holds(now, limit)
    for appointment in overdue:
        _expire(uow, appointment, "hold_expired", now)
    return len(overdue)


# -- later commands ---------------------------------------------------------------------------


def cancel(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, reason: str, actor: Actor,
           expected_version: int | None, now: datetime) -> Appointment:
    if problems := check_text("reason", reason, multi_line=True):
        raise Invalid(problems)
    if is_blank(reason):
        raise Invalid([RuleBroken("reason", "say why the appointment is canceled")])
    # A hold past its time, or expired already, is canceled all the same: the cancellation is what
    # makes a payment still on its way be refunded rather than take the slot again.
    held = _held(uow, clinic_id, appointment_id, expected_version)
    canceled = _apply(lambda: held.cancel(reason, actor, _cancellation_window(uow, held), now))
    uow.appointments.save(canceled)
    uow.publish(events.AppointmentCanceledV1(
        **_event_fields(canceled, actor, now), reason=reason, was_paid=held.payment_id is not None,
        within_policy=bool(canceled.canceled_within_policy)), clinic_id=clinic_id)
    _audit(uow, actor, "appointment.canceled", held, canceled, now)
    return canceled


def reschedule(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, start: datetime, actor: Actor,
               expected_version: int | None, now: datetime) -> tuple[Appointment, Appointment]:
    """The old appointment (rescheduled) and the new one."""
    held = _held(uow, clinic_id, appointment_id, expected_version)
    start = _in_utc(start)
    _within_horizon(start, now)
    old, new = _apply(lambda: held.reschedule(uuid7(), start, now))
    service = _service(uow, clinic_id, held.service_id)
    _offered(uow, service, _visit(held), start, held.provider_id, _calendar_kept(uow, held), now,
             ignoring=[held.appointment_id], minimum_notice=STAFF_NOTICE)
    uow.appointments.save(old)
    _clear_time(uow, new, now)
    uow.appointments.add(new)
    uow.publish(events.AppointmentRescheduledV1(
        **_event_fields(new, actor, now), previous_start=held.start, previous_end=held.end,
        video=_video(new)), clinic_id=clinic_id)
    _audit(uow, actor, "appointment.rescheduled", held, old, now)
    _audit(uow, actor, "appointment.rescheduled_to", None, new, now)
    return old, new


def change_provider(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, provider_id: uuid.UUID,
                    actor: Actor, expected_version: int | None, now: datetime) -> Appointment:
    held = _held(uow, clinic_id, appointment_id, expected_version)
    changed = _apply(lambda: held.change_provider(provider_id, now))
    service = _service(uow, clinic_id, held.service_id)
    _offered(uow, service, _visit(held), held.start, provider_id, _calendar_kept(uow, held), now,
             ignoring=[held.appointment_id], minimum_notice=STAFF_NOTICE)
    _clear_time(uow, changed, now)
    uow.appointments.save(changed)
    uow.publish(events.AppointmentProviderChangedV1(
        **_event_fields(changed, actor, now), previous_provider_id=held.provider_id, video=_video(changed)),
        clinic_id=clinic_id)
    _audit(uow, actor, "appointment.provider_changed", held, changed, now)
    return changed


def complete(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, actor: Actor,
             expected_version: int | None, now: datetime) -> Appointment:
    return _close(uow, clinic_id, appointment_id, expected_version, actor, now, Appointment.complete,
                  events.AppointmentCompletedV1, "appointment.completed")


def no_show(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, *, actor: Actor,
            expected_version: int | None, now: datetime) -> Appointment:
    return _close(uow, clinic_id, appointment_id, expected_version, actor, now, Appointment.no_show,
                  events.AppointmentNoShowV1, "appointment.no_show")


def _close(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID, expected_version: int | None,
           actor: Actor, now: datetime, transition, event_type, action: str) -> Appointment:
    """Load the appointment held, apply a transition that needs nothing but the time, save,
    publish `event_type` and audit `action`."""
    held = _held(uow, clinic_id, appointment_id, expected_version)
    after = _apply(lambda: transition(held, now))
    uow.appointments.save(after)
    uow.publish(event_type(**_event_fields(after, actor, now)), clinic_id=clinic_id)
    _audit(uow, actor, action, held, after, now)
    return after


def read_appointment(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    appointment = uow.appointments.get(clinic_id, appointment_id)
    if appointment is None:
        raise NotFound("appointment")
    return appointment


def list_appointments(uow: UnitOfWork, clinic_id: uuid.UUID, where: AppointmentFilter, *,
                      after: tuple[datetime, uuid.UUID] | None, limit: int) -> tuple[list[Appointment], bool]:
    """A page, and whether more follow."""
    rows = uow.appointments.page(clinic_id, where, after=after, limit=limit + 1)
    return rows[:limit], len(rows) > limit


# -- helpers ----------------------------------------------------------------------------------


def _service(uow: UnitOfWork, clinic_id: uuid.UUID, service_id: uuid.UUID) -> ServiceSnapshot:
    service = uow.services.get(clinic_id, service_id)
    if service is None or service.archived:
        raise NotFound("service")
    return service


def _calendar_kept(uow: UnitOfWork, appointment: Appointment) -> uuid.UUID | None:
    """The calendar a moved appointment must fit: its own while the service still offers it; once
    archived, any the service offers now (the appointment keeps the price it was booked at)."""
    if appointment.calendar_id is None:
        return None
    offered = any(calendar.calendar_id == appointment.calendar_id and not calendar.archived
                  for calendar in uow.calendars.of_service(appointment.clinic_id, appointment.service_id))
    return appointment.calendar_id if offered else None


def _price(service: ServiceSnapshot, calendar: CalendarSnapshot | None) -> Money:
    return calendar.price if calendar is not None and calendar.price is not None else service.price


def _shown_zone(uow: UnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> str:
    """The clinic's zone; the specialist's until catalog has told scheduling about the clinic."""
    clinic = uow.clinics.get(clinic_id)
    if clinic is not None:
        return clinic.timezone
    provider = uow.providers.get(clinic_id, provider_id)
    return provider.timezone if provider is not None else "UTC"


def _cancellation_window(uow: UnitOfWork, appointment: Appointment) -> timedelta:
    service = uow.services.get(appointment.clinic_id, appointment.service_id)
    if service is not None and service.cancellation_window_hours is not None:
        return timedelta(hours=service.cancellation_window_hours)
    clinic = uow.clinics.get(appointment.clinic_id)
    return timedelta(hours=clinic.cancellation_window_hours if clinic else DEFAULT_CANCELLATION_WINDOW_HOURS)


def _held(uow: UnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID,
          expected_version: int | None) -> Appointment:
    held = uow.appointments.held_for_change(clinic_id, appointment_id)
    if held is None:
        raise NotFound("appointment")
    if expected_version is not None and held.version != expected_version:
        raise StaleVersion(held.version)
    return held


def _apply(transition):
    try:
        return transition()
    except HoldExpired as expired:
        raise Conflict("hold-expired", expired.message) from None
    except TransitionRefused as refused:
        raise Conflict("invalid-transition", refused.message) from None


def _audit(uow: UnitOfWork, actor: Actor, action: str, before: Appointment | None, after: Appointment,
           now: datetime) -> None:
    audit.record(uow, actor, lambda: AuditEntry(after.clinic_id, uuid7(), after.appointment_id, after.patient_id, actor,
                                                action, audit_view(before) if before else None, audit_view(after), now))


def audit_view(appointment: Appointment) -> dict[str, object]:
    a = appointment
    return {
        "status": a.status, "start": a.start.isoformat(), "end": a.end.isoformat(),
        "provider_id": str(a.provider_id), "service_id": str(a.service_id), "patient_id": str(a.patient_id),
        "rescheduled_from": str(a.rescheduled_from) if a.rescheduled_from else None,
        "rescheduled_to": str(a.rescheduled_to) if a.rescheduled_to else None,
        "cancellation_reason": a.cancellation_reason, "version": a.version,
    }


def snapshot(appointment: Appointment) -> events.AppointmentSnapshot:
    a = appointment
    return events.AppointmentSnapshot(
        appointment_id=a.appointment_id, clinic_id=a.clinic_id, patient_id=a.patient_id, provider_id=a.provider_id,
        service_id=a.service_id, calendar_id=a.calendar_id, location_id=a.location_id, start=a.start, end=a.end,
        timezone=a.timezone, status=a.status,
        price=catalog_events.Money(amount_minor=a.price.amount_minor, currency=a.price.currency),
        enrollment_id=a.enrollment_id, rescheduled_from=a.rescheduled_from, version=a.version,
        original_appointment_id=a.original_appointment_id)


def event_actor(actor: Actor) -> events.Actor:
    return events.Actor(kind=actor.kind, account_id=actor.account_id)


def _event_fields(appointment: Appointment, actor: Actor, now: datetime) -> dict[str, object]:
    return {"clinic_id": appointment.clinic_id, "appointment": snapshot(appointment), "actor": event_actor(actor),
            "occurred_at": now}


def _video(appointment: Appointment) -> events.VideoMeeting | None:
    return video_event(appointment.video) if appointment.video is not None else None


def video_event(video: VideoMeeting) -> events.VideoMeeting:
    return events.VideoMeeting(provider=video.provider, meeting_id=video.meeting_id, join_url=video.join_url,
                               host_url=video.host_url)


def confirmed_event(appointment: Appointment, now: datetime) -> events.AppointmentConfirmedV1:
    return events.AppointmentConfirmedV1(**_event_fields(appointment, SYSTEM, now), payment_id=appointment.payment_id,
                                         video=_video(appointment))
