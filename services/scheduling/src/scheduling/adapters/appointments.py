"""Where appointments (holds included) and the audit trail are kept. Every lookup names the clinic,
except the worker's sweeps, which cross clinics on purpose.

The audit trail holds staff and specialists' changes of appointments, patients and specialists'
availability: an entry names the appointment and/or patient it is about, or the specialist whose
availability changed.

No double booking: on PostgreSQL the exclusion constraint `appointments_no_overlap` (migration
0004) refuses a row that would overlap another of the same specialist that holds time; `add` and
`save` turn that refusal into `SlotTaken` inside a savepoint, so the caller's transaction goes on
(a late payment then publishes a refund instead). On SQLite every write transaction holds the
database's write lock from its first statement (BEGIN IMMEDIATE, clinic_runtime.db), so the
overlap check (`overlapping`) and the insert that follows it cannot be interleaved with another
booking's: `add` and `save` check again there, inside that same lock, before writing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scheduling.adapters.orm import appointments, audit_entries
from scheduling.domain.appointments import HOLDING_TIME, Actor, AlreadyBooked, Appointment, SlotTaken
from scheduling.domain.offerings import Money
from scheduling.domain.slots import Busy
from scheduling.domain.video import VideoMeeting

EXCLUSION_VIOLATION = "23P01"
UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True)
class AppointmentFilter:
    start_from: datetime | None = None
    start_before: datetime | None = None
    service_id: uuid.UUID | None = None
    provider_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    clinic_id: uuid.UUID
    entry_id: uuid.UUID
    appointment_id: uuid.UUID | None
    patient_id: uuid.UUID | None
    actor: Actor
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    occurred_at: datetime
    provider_id: uuid.UUID | None = None  # an availability change's specialist


class AppointmentRepository(Protocol):
    def get(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None: ...

    def held_for_change(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
        """The appointment, locked until the transaction ends."""

    def overlapping(self, clinic_id: uuid.UUID, provider_id: uuid.UUID, occupied_from: datetime,
                    occupied_until: datetime, *, ignoring: Collection[uuid.UUID] = ()) -> list[Appointment]:
        """The specialist's appointments in a time-holding status (overdue holds included)
        whose occupied time overlaps [occupied_from, occupied_until), locked."""

    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime, end: datetime,
             now: datetime, *, ignoring: Collection[uuid.UUID] = ()) -> list[Busy]:
        """What holds the specialists' time around [start, end) at `now` (overdue holds do not)."""

    def add(self, appointment: Appointment) -> None:
        """SlotTaken when its time overlaps another's that holds time; AlreadyBooked when its id
        is taken."""

    def save(self, appointment: Appointment) -> None:
        """SlotTaken when the change makes it overlap another's that holds time."""

    def page(self, clinic_id: uuid.UUID, where: AppointmentFilter, *, after: tuple[datetime, uuid.UUID] | None,
             limit: int) -> list[Appointment]:
        """By start, then id, after `after`."""

    def overdue_holds(self, now: datetime, limit: int) -> list[Appointment]:
        """Holds past their expiry in any clinic, locked; rows another worker holds are skipped."""

    def claim_meeting_work(self, now: datetime, lease: timedelta, claim: uuid.UUID, limit: int) -> list[Appointment]:
        """Appointments whose video meeting needs work, claimed under `claim` for `lease` (any clinic)."""

    def release_meeting_claim(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, claim: uuid.UUID) -> bool:
        """Ends the claim; False when the appointment is no longer under `claim` (its lease ran
        out and another run claimed it)."""

    def record(self, entry: AuditEntry) -> None: ...

    def audit(self, clinic_id: uuid.UUID, *, appointment_id: uuid.UUID | None, patient_id: uuid.UUID | None,
              provider_id: uuid.UUID | None = None, after: tuple[datetime, uuid.UUID] | None = None,
              limit: int | None = None) -> list[AuditEntry]:
        """Oldest first (by time, then id), after `after`."""


# The statements every booking runs, built once (bound at each run).
_c = appointments.c
_ONE = select(appointments).where(_c.clinic_id == bindparam("clinic_id"),
                                  _c.appointment_id == bindparam("appointment_id"))
_ONE_LOCKED = _ONE.with_for_update()
_OVERLAPPING = select(appointments).where(
    _c.clinic_id == bindparam("clinic_id"), _c.provider_id == bindparam("provider_id"),
    _c.status.in_(HOLDING_TIME), _c.occupied_from < bindparam("occupied_until"),
    _c.occupied_until > bindparam("occupied_from"),
    _c.appointment_id.not_in(bindparam("ignoring", expanding=True)),
).order_by(_c.occupied_from).with_for_update()
_BUSY = select(_c.provider_id, _c.start_at, _c.end_at, _c.buffer_before_minutes, _c.buffer_after_minutes).where(
    _c.clinic_id == bindparam("clinic_id"), _c.provider_id.in_(bindparam("provider_ids", expanding=True)),
    _c.status.in_(HOLDING_TIME), or_(_c.status != "pending_payment", _c.hold_expires_at > bindparam("now")),
    _c.occupied_from < bindparam("end"), _c.occupied_until > bindparam("start"),
    _c.appointment_id.not_in(bindparam("ignoring", expanding=True)))
_ADD = insert(appointments)
_SAVE = update(appointments).where(_c.clinic_id == bindparam("key_clinic_id"),
                                   _c.appointment_id == bindparam("key_appointment_id"))


class SqlAppointments:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._sqlite = session.get_bind().dialect.name == "sqlite"

    def get(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
        row = self._session.execute(_ONE, {"clinic_id": clinic_id, "appointment_id": appointment_id}
                                    ).mappings().one_or_none()
        return appointment_of(row) if row else None

    def held_for_change(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
        row = self._session.execute(_ONE_LOCKED, {"clinic_id": clinic_id, "appointment_id": appointment_id}
                                    ).mappings().one_or_none()
        return appointment_of(row) if row else None

    def overlapping(self, clinic_id: uuid.UUID, provider_id: uuid.UUID, occupied_from: datetime,
                    occupied_until: datetime, *, ignoring: Collection[uuid.UUID] = ()) -> list[Appointment]:
        rows = self._session.execute(_OVERLAPPING, {
            "clinic_id": clinic_id, "provider_id": provider_id, "occupied_from": occupied_from,
            "occupied_until": occupied_until, "ignoring": list(ignoring)}).mappings()
        return [appointment_of(row) for row in rows]

    def busy(self, clinic_id: uuid.UUID, provider_ids: Collection[uuid.UUID], start: datetime, end: datetime,
             now: datetime, *, ignoring: Collection[uuid.UUID] = ()) -> list[Busy]:
        ids = list(provider_ids)
        if not ids:
            return []
        rows = self._session.execute(_BUSY, {"clinic_id": clinic_id, "provider_ids": ids, "now": now, "start": start,
                                             "end": end, "ignoring": list(ignoring)})
        return [Busy(row.provider_id, row.start_at, row.end_at, timedelta(minutes=row.buffer_before_minutes),
                     timedelta(minutes=row.buffer_after_minutes)) for row in rows]

    def add(self, appointment: Appointment) -> None:
        self._write(appointment, _ADD, _row(appointment))

    def save(self, appointment: Appointment) -> None:
        self._write(appointment, _SAVE, {**_row(appointment), "key_clinic_id": appointment.clinic_id,
                                         "key_appointment_id": appointment.appointment_id})

    def _write(self, appointment: Appointment, statement, values: dict[str, Any]) -> None:
        if self._sqlite and appointment.status in HOLDING_TIME and self.overlapping(
                appointment.clinic_id, appointment.provider_id, appointment.occupied_from,
                appointment.occupied_until, ignoring=[appointment.appointment_id]):
            raise SlotTaken()
        try:
            with self._session.begin_nested():
                self._session.execute(statement, values)
        except IntegrityError as error:
            state = getattr(error.orig, "sqlstate", None)
            if state == EXCLUSION_VIOLATION:
                raise SlotTaken() from None
            if state == UNIQUE_VIOLATION:
                raise AlreadyBooked() from None
            raise

    def page(self, clinic_id: uuid.UUID, where: AppointmentFilter, *, after: tuple[datetime, uuid.UUID] | None,
             limit: int) -> list[Appointment]:
        c = appointments.c
        statement = select(appointments).where(c.clinic_id == clinic_id)
        if where.start_from is not None:
            statement = statement.where(c.start_at >= where.start_from)
        if where.start_before is not None:
            statement = statement.where(c.start_at < where.start_before)
        for column, value in ((c.service_id, where.service_id), (c.provider_id, where.provider_id),
                              (c.patient_id, where.patient_id)):
            if value is not None:
                statement = statement.where(column == value)
        if where.statuses:
            statement = statement.where(c.status.in_(where.statuses))
        if after is not None:
            statement = statement.where(or_(c.start_at > after[0],
                                            and_(c.start_at == after[0], c.appointment_id > after[1])))
        rows = self._session.execute(statement.order_by(c.start_at, c.appointment_id).limit(limit)).mappings()
        return [appointment_of(row) for row in rows]

    def overdue_holds(self, now: datetime, limit: int) -> list[Appointment]:
        rows = self._session.execute(select(appointments).where(
            appointments.c.status == "pending_payment", appointments.c.hold_expires_at <= now,
        ).order_by(appointments.c.hold_expires_at).limit(limit).with_for_update(skip_locked=True)).mappings()
        return [appointment_of(row) for row in rows]

    def claim_meeting_work(self, now: datetime, lease: timedelta, claim: uuid.UUID, limit: int) -> list[Appointment]:
        c = appointments.c
        rows = self._session.execute(select(appointments).where(
            c.meeting_due.is_not(None), or_(c.meeting_claimed_until.is_(None), c.meeting_claimed_until <= now),
        ).order_by(c.updated_at).limit(limit).with_for_update(skip_locked=True)).mappings().all()
        for row in rows:
            self._session.execute(update(appointments).where(
                c.clinic_id == row["clinic_id"], c.appointment_id == row["appointment_id"],
            ).values(meeting_claimed_until=now + lease, meeting_claim=claim))
        return [appointment_of(row) for row in rows]

    def release_meeting_claim(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, claim: uuid.UUID) -> bool:
        released = self._session.execute(update(appointments).where(
            appointments.c.clinic_id == clinic_id, appointments.c.appointment_id == appointment_id,
            appointments.c.meeting_claim == claim,
        ).values(meeting_claimed_until=None, meeting_claim=None))
        return released.rowcount == 1

    def record(self, entry: AuditEntry) -> None:
        self._session.execute(insert(audit_entries).values(
            clinic_id=entry.clinic_id, entry_id=entry.entry_id, appointment_id=entry.appointment_id,
            patient_id=entry.patient_id, provider_id=entry.provider_id, actor_kind=entry.actor.kind,
            actor_account_id=entry.actor.account_id,
            action=entry.action, before=entry.before, after=entry.after, occurred_at=entry.occurred_at))

    def audit(self, clinic_id: uuid.UUID, *, appointment_id: uuid.UUID | None, patient_id: uuid.UUID | None,
              provider_id: uuid.UUID | None = None, after: tuple[datetime, uuid.UUID] | None = None,
              limit: int | None = None) -> list[AuditEntry]:
        c = audit_entries.c
        statement = select(audit_entries).where(c.clinic_id == clinic_id)
        for column, value in ((c.appointment_id, appointment_id), (c.patient_id, patient_id),
                              (c.provider_id, provider_id)):
            if value is not None:
                statement = statement.where(column == value)
        if after is not None:
            statement = statement.where(or_(c.occurred_at > after[0],
                                            and_(c.occurred_at == after[0], c.entry_id > after[1])))
        statement = statement.order_by(c.occurred_at, c.entry_id).limit(limit)
        return [AuditEntry(row["clinic_id"], row["entry_id"], row["appointment_id"], row["patient_id"],
                           Actor(row["actor_kind"], row["actor_account_id"]), row["action"], row["before"],
                           row["after"], row["occurred_at"], row["provider_id"])
                for row in self._session.execute(statement).mappings()]


def _row(appointment: Appointment) -> dict[str, Any]:
    a = appointment
    video = a.video
    return {
        "clinic_id": a.clinic_id, "appointment_id": a.appointment_id, "patient_id": a.patient_id,
        "provider_id": a.provider_id, "service_id": a.service_id, "calendar_id": a.calendar_id,
        "location_id": a.location_id, "start_at": a.start, "end_at": a.end,
        "buffer_before_minutes": int(a.buffer_before.total_seconds() // 60),
        "buffer_after_minutes": int(a.buffer_after.total_seconds() // 60),
        "occupied_from": a.occupied_from, "occupied_until": a.occupied_until, "timezone": a.timezone,
        "status": a.status, "price_amount_minor": a.price.amount_minor, "price_currency": a.price.currency,
        "enrollment_id": a.enrollment_id, "hold_expires_at": a.hold_expires_at, "booked_by_kind": a.booked_by.kind,
        "booked_by_account_id": a.booked_by.account_id, "sms_consent": a.sms_consent,
        "rescheduled_from": a.rescheduled_from, "rescheduled_to": a.rescheduled_to,
        "original_appointment_id": a.original_appointment_id, "payment_id": a.payment_id,
        "confirmed_at": a.confirmed_at, "video_provider": video.provider if video else None,
        "video_meeting_id": video.meeting_id if video else None, "video_join_url": video.join_url if video else None,
        "video_host_url": video.host_url if video else None, "meeting_due": a.meeting_due,
        "cancellation_reason": a.cancellation_reason,
        "canceled_by_kind": a.canceled_by.kind if a.canceled_by else None,
        "canceled_by_account_id": a.canceled_by.account_id if a.canceled_by else None,
        "canceled_within_policy": a.canceled_within_policy, "expired_reason": a.expired_reason,
        "version": a.version, "created_at": a.created_at, "updated_at": a.updated_at,
    }


def appointment_of(row) -> Appointment:
    video = None
    if row["video_meeting_id"] is not None:
        video = VideoMeeting(row["video_provider"], row["video_meeting_id"], row["video_join_url"],
                             row["video_host_url"])
    return Appointment(
        clinic_id=row["clinic_id"], appointment_id=row["appointment_id"], patient_id=row["patient_id"],
        provider_id=row["provider_id"], service_id=row["service_id"], calendar_id=row["calendar_id"],
        start=row["start_at"], end=row["end_at"], buffer_before=timedelta(minutes=row["buffer_before_minutes"]),
        buffer_after=timedelta(minutes=row["buffer_after_minutes"]), timezone=row["timezone"],
        status=row["status"], price=Money(row["price_amount_minor"], row["price_currency"]),
        enrollment_id=row["enrollment_id"], hold_expires_at=row["hold_expires_at"],
        booked_by=Actor(row["booked_by_kind"], row["booked_by_account_id"]), sms_consent=row["sms_consent"],
        version=row["version"], created_at=row["created_at"], updated_at=row["updated_at"],
        location_id=row["location_id"], rescheduled_from=row["rescheduled_from"],
        rescheduled_to=row["rescheduled_to"], original_appointment_id=row["original_appointment_id"],
        payment_id=row["payment_id"], confirmed_at=row["confirmed_at"],
        video=video, meeting_due=row["meeting_due"], cancellation_reason=row["cancellation_reason"],
        canceled_by=Actor(row["canceled_by_kind"], row["canceled_by_account_id"]) if row["canceled_by_kind"] else None,
        canceled_within_policy=row["canceled_within_policy"], expired_reason=row["expired_reason"],
    )
