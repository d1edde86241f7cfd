"""Routes of a service's booking calendars (managed without changing the service)."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint
from pydantic import BaseModel, Field, StrictInt

from catalog.domain.calendars import Calendar, CalendarDetails, HourWindow
from catalog.domain.services import Service
from catalog.entrypoints.http import MoneyBody, booking_window, listing, money, page_body, reference
from catalog.service_layer import calendars as use_cases
from catalog.service_layer.unit_of_work import SqlUnitOfWork
from clinic_runtime.db import utcnow
from clinic_runtime.web import db, etag, expected_version, idempotent, json_body

blueprint = Blueprint("calendars", __name__)
CALENDARS = "/clinics/<uuid:clinic_id>/services/<uuid:service_id>/calendars"


class HourWindowBody(BaseModel):
    weekday: StrictInt
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)


class CalendarBody(BaseModel):
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)
    price: MoneyBody | None = None
    timezone: str | None = Field(default=None, max_length=64)
    hours: list[HourWindowBody] = Field(default_factory=list, max_length=100)
    bookable_from: date | None = None
    bookable_until: date | None = None
    minimum_notice_minutes: StrictInt | None = None
    booking_horizon_days: StrictInt | None = None

    def details(self, service_id: uuid.UUID) -> CalendarDetails:
        return CalendarDetails(
            service_id=service_id, name=self.name.strip(), kind=self.kind, timezone=self.timezone,
            price=None if self.price is None else self.price.money(),
            hours=tuple(HourWindow(w.weekday, w.start, w.end) for w in self.hours),
            bookable_from=self.bookable_from, bookable_until=self.bookable_until,
            minimum_notice_minutes=self.minimum_notice_minutes, booking_horizon_days=self.booking_horizon_days,
        )


@blueprint.post(CALENDARS)
@idempotent
def add_calendar(clinic_id: uuid.UUID, service_id: uuid.UUID):
    body = json_body(CalendarBody)
    calendar = use_cases.add_calendar(SqlUnitOfWork(db()), clinic_id, body.details(service_id), reference, utcnow())
    return representation(calendar), 201, {
        "Location": f"/clinics/{clinic_id}/services/{service_id}/calendars/{calendar.id}",
        "ETag": etag(calendar.version)}


@blueprint.get(CALENDARS)
def list_calendars(clinic_id: uuid.UUID, service_id: uuid.UUID):
    page = use_cases.list_calendars(SqlUnitOfWork(db()), clinic_id, service_id, listing()[0])
    return page_body("calendars", page, representation)


@blueprint.get(f"{CALENDARS}/<uuid:calendar_id>")
def read_calendar(clinic_id: uuid.UUID, service_id: uuid.UUID, calendar_id: uuid.UUID):
    calendar = use_cases.read_calendar(SqlUnitOfWork(db()), clinic_id, service_id, calendar_id)
    return representation(calendar), 200, {"ETag": etag(calendar.version)}


@blueprint.put(f"{CALENDARS}/<uuid:calendar_id>")
def change_calendar(clinic_id: uuid.UUID, service_id: uuid.UUID, calendar_id: uuid.UUID):
    expected = expected_version()
    body = json_body(CalendarBody)
    calendar = use_cases.change_calendar(SqlUnitOfWork(db()), clinic_id, calendar_id, body.details(service_id),
                                         expected, reference, utcnow())
    return representation(calendar), 200, {"ETag": etag(calendar.version)}


@blueprint.post(f"{CALENDARS}/<uuid:calendar_id>/archive")
def archive_calendar(clinic_id: uuid.UUID, service_id: uuid.UUID, calendar_id: uuid.UUID):
    calendar = use_cases.archive_calendar(SqlUnitOfWork(db()), clinic_id, service_id, calendar_id,
                                          expected_version(), utcnow())
    return representation(calendar), 200, {"ETag": etag(calendar.version)}


def _hours(calendar: Calendar) -> list[dict[str, object]]:
    return [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in calendar.details.hours]


def representation(calendar: Calendar) -> dict[str, object]:
    """Staff's view: the calendar's own price, notice and horizon (null: the service's)."""
    d = calendar.details
    return {
        "id": str(calendar.id), "service_id": str(d.service_id), "name": d.name, "kind": d.kind,
        "price": money(d.price), "timezone": d.timezone, "hours": _hours(calendar),
        "bookable_from": d.bookable_from.isoformat() if d.bookable_from else None,
        "bookable_until": d.bookable_until.isoformat() if d.bookable_until else None,
        "minimum_notice_minutes": d.minimum_notice_minutes, "booking_horizon_days": d.booking_horizon_days,
        "version": calendar.version, "archived": calendar.archived, "updated_at": calendar.updated_at.isoformat(),
    }


def public_representation(calendar: Calendar, service: Service) -> dict[str, object]:
    """What patients see: the price they pay through this calendar, and how far ahead they book
    through it (its own, else the service's)."""
    d = calendar.details
    return {
        "id": str(calendar.id), "name": d.name, "kind": d.kind,
        "price": money(d.price if d.price is not None else service.details.price), "timezone": d.timezone,
        "hours": _hours(calendar),
        "bookable_from": d.bookable_from.isoformat() if d.bookable_from else None,
        "bookable_until": d.bookable_until.isoformat() if d.bookable_until else None,
        **booking_window(d.booking_window(service.details.booking_window())),
    }
