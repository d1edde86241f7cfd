"""Events published by the scheduling service."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, Field

from clinic_contracts.envelope import Event
from clinic_contracts.events.catalog import Money


class WeeklyRule(BaseModel):
    weekday: int = Field(description="ISO weekday: 1 Monday ... 7 Sunday.")
    start: str = Field(description="Wall-clock time HH:MM in the availability's time zone.")
    end: str = Field(description="Wall-clock time HH:MM, after start; 24:00 is the end of the day.")
    valid_from: date | None = Field(description="First day the rule applies; none means it always did.")
    valid_until: date | None = Field(description="Last day the rule applies (inclusive); none means open.")
    location_id: uuid.UUID | None = Field(description="The clinic location the specialist works at then, if said.")


class AwayRange(BaseModel):
    away_id: uuid.UUID
    first_day: date
    last_day: date = Field(description="Inclusive.")
    note: str = Field(description="Staff's note, e.g. vacation; may be empty.")


class DayOverride(BaseModel):
    override_id: uuid.UUID
    day: date
    kind: Literal["extra_hours", "closed"] = Field(
        description="extra_hours adds start-end to the day; closed takes the whole day off.")
    start: str | None = Field(description="Wall-clock HH:MM; extra hours only.")
    end: str | None = Field(description="Wall-clock HH:MM after start, 24:00 the end of the day; extra hours only.")
    note: str = Field(description="Staff's note; may be empty.")


class AvailabilityUpdatedV1(Event):
    """A specialist's availability in a clinic changed (weekly schedule, blackout dates, an away
    range or a day's override). Carries the full availability at its new version, all of it
    wall-clock time in `timezone`. Appointments already booked are not affected."""

    event_type: ClassVar[str] = "scheduling.availability.updated.v1"
    producer: ClassVar[str] = "scheduling"

    clinic_id: uuid.UUID
    provider_id: uuid.UUID
    timezone: str = Field(description="IANA time zone every rule, date and override is written in.")
    rules: list[WeeklyRule]
    blackout_dates: list[date] = Field(description="Personal days off, whatever the rules say.")
    away: list[AwayRange] = Field(description="Away or vacation ranges, by first day.")
    overrides: list[DayOverride] = Field(description="One-off changes to single days, by day.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.provider_id)


# -- patients -----------------------------------------------------------------------------------


class SmsConsent(BaseModel):
    given: bool = Field(description="Whether the patient agreed to receive text messages.")
    recorded_at: AwareDatetime = Field(description="When the patient gave or withdrew it.")
    text_version: str = Field(description="Version of the consent wording the patient was shown, e.g. sms-2026-01.")


class PatientSnapshot(Event):
    """A clinic's patient as scheduling keeps it: the contact details messages go to."""

    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    account_id: uuid.UUID | None = Field(description="The patient's login at the gateway, when they have one.")
    name: str
    email: str
    mobile: str | None = Field(description="E.164, e.g. +40712345678; none when not given.")
    sms_consent: SmsConsent | None = Field(description="None when the patient was never asked.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    archived: bool
    updated_at: AwareDatetime

    def subject(self) -> str:
        return str(self.patient_id)


class PatientUpsertedV1(PatientSnapshot):
    """A patient was registered in a clinic (version 1) or their details or consent changed."""

    event_type: ClassVar[str] = "scheduling.patient.upserted.v1"
    producer: ClassVar[str] = "scheduling"


class PatientArchivedV1(PatientSnapshot):
    """A patient was archived: no new bookings; their history stays."""

    event_type: ClassVar[str] = "scheduling.patient.archived.v1"
    producer: ClassVar[str] = "scheduling"


# -- appointments -------------------------------------------------------------------------------


class Actor(BaseModel):
    kind: Literal["patient", "staff", "provider", "system"] = Field(
        description="system: the platform itself (a hold that expired, a payment's outcome).")
    account_id: uuid.UUID | None = Field(description="The gateway account that acted; none for the system or a guest.")


class AppointmentSnapshot(BaseModel):
    """An appointment as it stands after the change the event announces."""

    appointment_id: uuid.UUID
    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    provider_id: uuid.UUID
    service_id: uuid.UUID
    calendar_id: uuid.UUID | None = Field(description="The booking calendar it was booked through, if any.")
    location_id: uuid.UUID | None = Field(description="Where it takes place; none for a video appointment.")
    start: AwareDatetime = Field(description="UTC.")
    end: AwareDatetime = Field(description="UTC.")
    timezone: str = Field(description="IANA zone the appointment is shown in to the clinic and the specialist.")
    status: Literal["pending_payment", "paid", "canceled", "completed", "no_show", "rescheduled", "expired"]
    price: Money
    enrollment_id: uuid.UUID | None = Field(description="The service-plan enrollment a session is taken from, if any.")
    rescheduled_from: uuid.UUID | None = Field(description="The appointment this one replaced, if any.")
    version: int = Field(description="Increases by one with every change; consumers keep the highest.")
    original_appointment_id: uuid.UUID | None = Field(
        default=None,
        description="The first appointment of its reschedule chain (the one the visit was booked as): every "
                    "later appointment of the chain names it, so a consumer can key what it keeps about the "
                    "visit by it whatever order the chain's events arrive in. None for the appointment as "
                    "booked (and one moved before scheduling kept chains): the visit is `appointment_id` then.")


class AppointmentEvent(Event):
    clinic_id: uuid.UUID
    appointment: AppointmentSnapshot
    actor: Actor
    occurred_at: AwareDatetime

    def subject(self) -> str:
        return str(self.appointment.appointment_id)


class AppointmentHeldV1(AppointmentEvent):
    """A booking holds a slot: the appointment is `pending_payment` until `hold_expires_at`."""

    event_type: ClassVar[str] = "scheduling.appointment.held.v1"
    producer: ClassVar[str] = "scheduling"

    hold_expires_at: AwareDatetime


class VideoMeeting(BaseModel):
    provider: Literal["zoom", "sandbox"]
    meeting_id: str
    join_url: str = Field(description="For the patient.")
    host_url: str = Field(description="Starts the meeting as host: for the specialist only, never sent to the patient.")


class AppointmentPaidV1(AppointmentEvent):
    """The appointment became `paid`: billing's payment succeeded (also after its hold had expired,
    when the slot was still free), or a booking with nothing to pay (an enrollment's session, or no
    charge) was settled. Published in the transaction that marks it paid, before its video meeting
    exists: `confirmed` follows once it does, which may take a while when the video provider is
    down. What the payment decides (an enrollment's session is used, the sale is made) need not wait
    for the meeting."""

    event_type: ClassVar[str] = "scheduling.appointment.paid.v1"
    producer: ClassVar[str] = "scheduling"

    payment_id: uuid.UUID | None = Field(description="Billing's payment that paid it; none when nothing was due.")


class AppointmentConfirmedV1(AppointmentEvent):
    """The appointment is paid (or needs no payment) and its video meeting exists."""

    event_type: ClassVar[str] = "scheduling.appointment.confirmed.v1"
    producer: ClassVar[str] = "scheduling"

    payment_id: uuid.UUID | None = Field(description="Billing's payment that paid it; none when nothing was due.")
    video: VideoMeeting | None = Field(description="None for an in-person appointment.")


class AppointmentExpiredV1(AppointmentEvent):
    """A hold was abandoned (or its payment failed): the slot is free again."""

    event_type: ClassVar[str] = "scheduling.appointment.expired.v1"
    producer: ClassVar[str] = "scheduling"

    reason: Literal["hold_expired", "payment_failed"]


class AppointmentCanceledV1(AppointmentEvent):
    """The appointment was canceled and its slot freed. `within_policy` says whether the clinic's
    cancellation window still allowed it, which decides the refund billing gives."""

    event_type: ClassVar[str] = "scheduling.appointment.canceled.v1"
    producer: ClassVar[str] = "scheduling"

    reason: str
    was_paid: bool
    within_policy: bool


class AppointmentRescheduledV1(AppointmentEvent):
    """The appointment moved: `appointment` is the new one (its `rescheduled_from` names the old,
    whose status is now `rescheduled`); payment and enrollment session carry over."""

    event_type: ClassVar[str] = "scheduling.appointment.rescheduled.v1"
    producer: ClassVar[str] = "scheduling"

    previous_start: AwareDatetime
    previous_end: AwareDatetime
    video: VideoMeeting | None


class AppointmentProviderChangedV1(AppointmentEvent):
    """Another specialist takes the appointment at the same time."""

    event_type: ClassVar[str] = "scheduling.appointment.provider_changed.v1"
    producer: ClassVar[str] = "scheduling"

    previous_provider_id: uuid.UUID
    video: VideoMeeting | None


class AppointmentVideoChangedV1(AppointmentEvent):
    """The appointment's video meeting was replaced (the provider had lost the old one): the new
    links replace any sent before."""

    event_type: ClassVar[str] = "scheduling.appointment.video_changed.v1"
    producer: ClassVar[str] = "scheduling"

    video: VideoMeeting


class AppointmentCompletedV1(AppointmentEvent):
    event_type: ClassVar[str] = "scheduling.appointment.completed.v1"
    producer: ClassVar[str] = "scheduling"


class AppointmentNoShowV1(AppointmentEvent):
    """The patient did not come."""

    event_type: ClassVar[str] = "scheduling.appointment.no_show.v1"
    producer: ClassVar[str] = "scheduling"


class AppointmentRefundDueV1(AppointmentEvent):
    """A payment arrived for an appointment that can no longer take place (its hold had expired
    and the slot was taken meanwhile), or that this payment cannot pay (already paid, canceled,
    or an amount or currency other than its price): billing refunds the payment in full, once:
    the same payment reported to scheduling again is refused again, so this may name a payment
    more than once."""

    event_type: ClassVar[str] = "scheduling.appointment.refund_due.v1"
    producer: ClassVar[str] = "scheduling"

    payment_id: uuid.UUID
    amount: Money
    reason: Literal["slot_taken_after_hold_expired", "appointment_no_longer_payable"]
