"""Where scheduling keeps its snapshots of catalog's providers, services and booking calendars.

Every lookup names the clinic: a thing of another clinic is not found.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from clinic_runtime.db import keep_newest_statement
from scheduling.adapters.orm import calendar_directory, provider_directory, service_directory
from scheduling.domain.offerings import (
    CalendarSnapshot,
    HourWindow,
    Money,
    ProviderSnapshot,
    RefundPolicy,
    Reminders,
    RequiredForm,
    ServiceSnapshot,
)


class ProviderDirectory(Protocol):
    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderSnapshot | None: ...

    def keep_newest(self, snapshot: ProviderSnapshot) -> bool:
        """Store `snapshot` unless the one held supersedes it; True when it was stored."""


class ServiceDirectory(Protocol):
    def get(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> ServiceSnapshot | None: ...

    def keep_newest(self, snapshot: ServiceSnapshot) -> bool:
        """Store `snapshot` unless the one held supersedes it; True when it was stored."""


class CalendarDirectory(Protocol):
    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[CalendarSnapshot]:
        """Every calendar of the service, archived ones included, by name."""

    def keep_newest(self, snapshot: CalendarSnapshot) -> bool:
        """Store `snapshot` unless the one held supersedes it; True when it was stored."""


# -- providers ----------------------------------------------------------------------------------

_KEEP_NEWEST_PROVIDER = keep_newest_statement(provider_directory)
_PROVIDER = select(provider_directory).where(provider_directory.c.clinic_id == bindparam("clinic_id"),
                                             provider_directory.c.provider_id == bindparam("provider_id"))


class SqlProviderDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderSnapshot | None:
        row = self._session.execute(_PROVIDER, {"clinic_id": clinic_id, "provider_id": provider_id}).one_or_none()
        return _provider(row._mapping) if row else None

    def keep_newest(self, snapshot: ProviderSnapshot) -> bool:
        row = {
            "clinic_id": snapshot.clinic_id, "provider_id": snapshot.provider_id, "name": snapshot.name,
            "timezone": snapshot.timezone, "location_ids": [str(id_) for id_ in snapshot.location_ids],
            "version": snapshot.version, "archived": snapshot.archived, "updated_at": snapshot.updated_at,
        }
        return self._session.execute(_KEEP_NEWEST_PROVIDER, row).first() is not None


def _provider(row: Any) -> ProviderSnapshot:
    return ProviderSnapshot(
        clinic_id=row["clinic_id"], provider_id=row["provider_id"], name=row["name"], timezone=row["timezone"],
        location_ids=tuple(uuid.UUID(id_) for id_ in row["location_ids"]), version=row["version"],
        archived=row["archived"], updated_at=row["updated_at"],
    )


# -- services -----------------------------------------------------------------------------------

_KEEP_NEWEST_SERVICE = keep_newest_statement(service_directory)
_SERVICE = select(service_directory).where(service_directory.c.clinic_id == bindparam("clinic_id"),
                                           service_directory.c.service_id == bindparam("service_id"))


class SqlServiceDirectory:
    """Reads are remembered for the unit of work (a booking asks for its service more than
    once); keeping a newer snapshot forgets them."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._read: dict[tuple[uuid.UUID, uuid.UUID], ServiceSnapshot | None] = {}

    def get(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> ServiceSnapshot | None:
        if (clinic_id, service_id) not in self._read:
            row = self._session.execute(_SERVICE, {"clinic_id": clinic_id, "service_id": service_id}).one_or_none()
            self._read[clinic_id, service_id] = _service(row._mapping) if row else None
        return self._read[clinic_id, service_id]

    def keep_newest(self, snapshot: ServiceSnapshot) -> bool:
        self._read.pop((snapshot.clinic_id, snapshot.service_id), None)
        policy = snapshot.refund_policy
        row = {
            "clinic_id": snapshot.clinic_id, "service_id": snapshot.service_id, "name": snapshot.name,
            "duration_minutes": snapshot.duration_minutes,
            "price_amount_minor": snapshot.price.amount_minor, "price_currency": snapshot.price.currency,
            "buffer_before_minutes": snapshot.buffer_before_minutes,
            "buffer_after_minutes": snapshot.buffer_after_minutes,
            "provider_ids": [str(id_) for id_ in snapshot.provider_ids],
            "required_forms": [{"kind": form.kind, "template_key": form.template_key}
                               for form in snapshot.required_forms],
            "cancellation_window_hours": snapshot.cancellation_window_hours,
            "refund_policy_kind": policy.kind if policy else None,
            "refund_policy_percent": policy.percent if policy else None,
            "refund_policy_text": policy.text if policy else None,
            "remind_24h": snapshot.reminders.before_24h, "remind_1h": snapshot.reminders.before_1h,
            "minimum_notice_minutes": snapshot.minimum_notice_minutes,
            "booking_horizon_days": snapshot.booking_horizon_days,
            "version": snapshot.version, "archived": snapshot.archived, "updated_at": snapshot.updated_at,
        }
        return self._session.execute(_KEEP_NEWEST_SERVICE, row).first() is not None


def _service(row: Any) -> ServiceSnapshot:
    policy = None
    if row["refund_policy_kind"] is not None:
        policy = RefundPolicy(row["refund_policy_kind"], row["refund_policy_percent"], row["refund_policy_text"])
    return ServiceSnapshot(
        clinic_id=row["clinic_id"], service_id=row["service_id"], name=row["name"],
        duration_minutes=row["duration_minutes"], price=Money(row["price_amount_minor"], row["price_currency"]),
        buffer_before_minutes=row["buffer_before_minutes"], buffer_after_minutes=row["buffer_after_minutes"],
        provider_ids=tuple(uuid.UUID(id_) for id_ in row["provider_ids"]),
        required_forms=tuple(RequiredForm(form["kind"], form["template_key"]) for form in row["required_forms"]),
        cancellation_window_hours=row["cancellation_window_hours"], refund_policy=policy,
        reminders=Reminders(before_24h=row["remind_24h"], before_1h=row["remind_1h"]),
        version=row["version"], archived=row["archived"], updated_at=row["updated_at"],
        minimum_notice_minutes=row["minimum_notice_minutes"], booking_horizon_days=row["booking_horizon_days"],
    )


# -- booking calendars --------------------------------------------------------------------------

_KEEP_NEWEST_CALENDAR = keep_newest_statement(calendar_directory)
_CALENDARS_OF_SERVICE = select(calendar_directory).where(
    calendar_directory.c.clinic_id == bindparam("clinic_id"), calendar_directory.c.service_id == bindparam("service_id"),
).order_by(calendar_directory.c.name, calendar_directory.c.calendar_id)


class SqlCalendarDirectory:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_service(self, clinic_id: uuid.UUID, service_id: uuid.UUID) -> list[CalendarSnapshot]:
        rows = self._session.execute(_CALENDARS_OF_SERVICE, {"clinic_id": clinic_id, "service_id": service_id})
        return [_calendar(row._mapping) for row in rows]

    def keep_newest(self, snapshot: CalendarSnapshot) -> bool:
        price = snapshot.price
        row = {
            "clinic_id": snapshot.clinic_id, "calendar_id": snapshot.calendar_id,
            "service_id": snapshot.service_id, "name": snapshot.name, "kind": snapshot.kind,
            "price_amount_minor": price.amount_minor if price else None,
            "price_currency": price.currency if price else None,
            "timezone": snapshot.timezone,
            "hours": [{"weekday": window.weekday, "start": window.start, "end": window.end}
                      for window in snapshot.hours],
            "bookable_from": snapshot.bookable_from, "bookable_until": snapshot.bookable_until,
            "minimum_notice_minutes": snapshot.minimum_notice_minutes,
            "booking_horizon_days": snapshot.booking_horizon_days,
            "version": snapshot.version, "archived": snapshot.archived, "updated_at": snapshot.updated_at,
        }
        return self._session.execute(_KEEP_NEWEST_CALENDAR, row).first() is not None


def _calendar(row: Any) -> CalendarSnapshot:
    price = None
    if row["price_amount_minor"] is not None:
        price = Money(row["price_amount_minor"], row["price_currency"])
    return CalendarSnapshot(
        clinic_id=row["clinic_id"], calendar_id=row["calendar_id"], service_id=row["service_id"],
        name=row["name"], kind=row["kind"], price=price, timezone=row["timezone"],
        hours=tuple(HourWindow(window["weekday"], window["start"], window["end"]) for window in row["hours"]),
        bookable_from=row["bookable_from"], bookable_until=row["bookable_until"],
        version=row["version"], archived=row["archived"], updated_at=row["updated_at"],
        minimum_notice_minutes=row["minimum_notice_minutes"], booking_horizon_days=row["booking_horizon_days"],
    )
