"""Appointments and their state machine. Pure: every transition takes `now` and returns the
changed appointment (a new version), or raises `TransitionRefused`.

    pending_payment -> paid -> canceled | completed | no_show
                                          (paid without a payment when an enrollment covers it
                                           or it costs nothing: settle_without_payment)
    pending_payment -> expired            (hold abandoned, or its payment failed)
    expired -> paid                       (a payment that arrived after the hold expired, when
                                           the slot is still free: the service layer checks)
    pending_payment | paid | expired -> canceled
    pending_payment | paid -> rescheduled (before it starts: the old one; a new appointment carries
                                           `rescheduled_from`, the status, payment, enrollment
                                           and video meeting, and names the first appointment
                                           of the chain: `original_appointment_id`)
    pending_payment | paid -> the same, with another specialist (provider change, before it starts)

A hold past `hold_expires_at` is over even before anyone expires it: rescheduling it or changing
its specialist is refused (HoldExpired, 409 `hold-expired`), so nothing acts on a hold as if it
still held its slot. Canceling it, or an expired one, is a cancel all the same, so that a payment
still on its way is refunded rather than taking the slot again.

Time held. An appointment occupies its specialist from `start - buffer_before` to
`end + buffer_after` while it is pending_payment (until `hold_expires_at`), paid, completed or a
no-show (the last two are history: their time is past, and keeping them occupied keeps a
completed appointment from being double-booked after the fact). Canceled, expired and
rescheduled appointments free their time.

The video meeting is made and changed outside the transaction that changes the appointment
(`meeting_due` says what the meetings job still has to do: create, update or cancel), so a
provider outage never loses a payment and a retry never makes two meetings. A paid appointment
is *confirmed* once its meeting exists (`confirmed_at`); confirming does not change the version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from scheduling.domain.offerings import Money
from scheduling.domain.video import VideoMeeting

Status = Literal["pending_payment", "paid", "canceled", "completed", "no_show", "rescheduled", "expired"]
STATUSES: tuple[Status, ...] = ("pending_payment", "paid", "canceled", "completed", "no_show", "rescheduled",
                                "expired")
HOLDING_TIME: tuple[Status, ...] = ("pending_payment", "paid", "completed", "no_show")
MeetingDue = Literal["create", "update", "cancel"]
ActorKind = Literal["patient", "staff", "provider", "system"]


class TransitionRefused(Exception):
    """The command does not apply to the appointment as it stands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HoldExpired(TransitionRefused):
    """A pending booking whose hold is over (even if no one has expired it yet): it can only
    expire, or be paid by a payment that arrives late."""

    def __init__(self) -> None:
        super().__init__("the hold expired: book again")


class SlotTaken(Exception):
    """The specialist's time (with buffers) is held by another appointment."""


class AlreadyBooked(Exception):
    """An appointment with this id exists already (a concurrent retry of the same booking)."""


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    account_id: uuid.UUID | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class Appointment:
    clinic_id: uuid.UUID
    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    provider_id: uuid.UUID
    service_id: uuid.UUID
    calendar_id: uuid.UUID | None
    start: datetime
    end: datetime
    buffer_before: timedelta
    buffer_after: timedelta
    timezone: str  # shown to the clinic and the specialist
    status: Status
    price: Money
    enrollment_id: uuid.UUID | None
    hold_expires_at: datetime | None
    booked_by: Actor
    sms_consent: bool | None  # the consent the patient gave with this booking
    version: int
    created_at: datetime
    updated_at: datetime
    location_id: uuid.UUID | None = None
    rescheduled_from: uuid.UUID | None = None
    rescheduled_to: uuid.UUID | None = None
    # The appointment the visit was booked as, once it has been rescheduled: every appointment of a
    # reschedule chain names the same one, so other services can key the visit by it whatever
    # order its events reach them in. None for the appointment as booked.
    original_appointment_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    confirmed_at: datetime | None = None
    video: VideoMeeting | None = None
    meeting_due: MeetingDue | None = None
    cancellation_reason: str | None = None
    canceled_by: Actor | None = None
    canceled_within_policy: bool | None = None
    expired_reason: str | None = None

    @property
    def occupied_from(self) -> datetime:
        return self.start - self.buffer_before

    @property
    def occupied_until(self) -> datetime:
        return self.end + self.buffer_after

    def holds_time(self, now: datetime) -> bool:
        if self.status == "pending_payment":
            return self.hold_expires_at is not None and self.hold_expires_at > now
        return self.status in HOLDING_TIME

    def hold_overdue(self, now: datetime) -> bool:
        return self.status == "pending_payment" and self.hold_expires_at is not None and self.hold_expires_at <= now

    # -- transitions -----------------------------------------------------------------------

    def expire(self, reason: Literal["hold_expired", "payment_failed"], now: datetime) -> Appointment:
        self._require("expire", "pending_payment")
        if reason == "hold_expired" and not self.hold_overdue(now):
            raise TransitionRefused("the hold has not expired yet")
        return self._next(now, status="expired", expired_reason=reason)

    def pay(self, payment_id: uuid.UUID, now: datetime) -> Appointment:
        """Paid; an expired hold only when the caller checked its slot is still free."""
        self._require("pay", "pending_payment", "expired")
        return self._next(now, status="paid", payment_id=payment_id, expired_reason=None,
                          meeting_due="create" if self.video is None else self.meeting_due)

    def settle_without_payment(self, now: datetime) -> Appointment:
        """Paid with nothing to pay: the session comes from an enrollment, or the price is zero."""
        self._require("be settled without payment", "pending_payment")
        if self.enrollment_id is None and self.price.amount_minor != 0:
            raise TransitionRefused("a payment is due: only a booking on an enrollment or at no charge settles without one")
        return self._next(now, status="paid", meeting_due="create" if self.video is None else self.meeting_due)

    def confirm(self, video: VideoMeeting, now: datetime) -> Appointment:
        """Paid with its meeting made: what `scheduling.appointment.confirmed.v1` announces."""
        if self.status != "paid" or self.confirmed_at is not None:
            raise TransitionRefused(f"a {self.status} appointment cannot be confirmed")
        return replace(self, video=video, meeting_due=None, confirmed_at=now)

    def cancel(self, reason: str, actor: Actor, window: timedelta, now: datetime) -> Appointment:
        """Canceled; `within_policy` when it is at least the cancellation window before it starts.
        An expired hold may be canceled too, so that a payment arriving late is refunded."""
        self._require("cancel", "pending_payment", "paid", "expired")
        return self._next(now, status="canceled", cancellation_reason=reason, canceled_by=actor,
                          canceled_within_policy=now <= self.start - window,
                          meeting_due="cancel" if self.video is not None else None)

    def reschedule(self, new_id: uuid.UUID, start: datetime, now: datetime) -> tuple[Appointment, Appointment]:
        """The old appointment (now `rescheduled`) and its successor at `start`: same length,
        specialist, status, payment, enrollment and meeting (to be moved)."""
        self._require("reschedule", "pending_payment", "paid")
        self._hold_alive(now)
        self._not_started(now)
        moved = replace(
            self, appointment_id=new_id, start=start, end=start + (self.end - self.start), rescheduled_from=self.appointment_id,
            rescheduled_to=None, original_appointment_id=self.original_appointment_id or self.appointment_id,
            version=1, created_at=now, updated_at=now,
            meeting_due="update" if self.video is not None else self.meeting_due)
        return self._next(now, status="rescheduled", rescheduled_to=new_id, meeting_due=None), moved

    def change_provider(self, provider_id: uuid.UUID, now: datetime) -> Appointment:
        self._require("change the specialist of", "pending_payment", "paid")
        self._hold_alive(now)
        self._not_started(now)
        if provider_id == self.provider_id:
            raise TransitionRefused("the appointment is already with this specialist")
        return self._next(now, provider_id=provider_id,
                          meeting_due="update" if self.video is not None else self.meeting_due)

    def complete(self, now: datetime) -> Appointment:
        self._require("complete", "paid")
        self._started(now)
        return self._next(now, status="completed")

    def no_show(self, now: datetime) -> Appointment:
        self._require("mark as a no-show", "paid")
        self._started(now)
        return self._next(now, status="no_show")

    def meeting_done(self) -> Appointment:
        """The meetings job did what was due (no new version)."""
        return replace(self, meeting_due=None)

    def _require(self, action: str, *statuses: Status) -> None:
        if self.status not in statuses:
            raise TransitionRefused(f"a {self.status.replace('_', ' ')} appointment cannot {action} "
                                    f"(only {' or '.join(s.replace('_', ' ') for s in statuses)})")

    def _hold_alive(self, now: datetime) -> None:
        if self.hold_overdue(now):
            raise HoldExpired()

    def _not_started(self, now: datetime) -> None:
        # A visit that has begun is completed or missed, not moved: moving it would free a paid
        # session for a second visit and lose what happened to the first.
        if now >= self.start:
            raise TransitionRefused("the appointment has started: complete it or mark a no-show")

    def _started(self, now: datetime) -> None:
        if now < self.start:
            raise TransitionRefused("the appointment has not started yet")

    def _next(self, now: datetime, **changes) -> Appointment:
        return replace(self, version=self.version + 1, updated_at=now, **changes)


def overlaps(one_from: datetime, one_until: datetime, other_from: datetime, other_until: datetime) -> bool:
    return one_from < other_until and other_from < one_until
