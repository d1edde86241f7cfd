"""Routes of specialists' availability and of a service's slots (internal: the gateway calls them).

Availability is versioned per specialist and clinic: GET answers with an ETag, and a new weekly
schedule is PUT with If-Match (428 without one, 412 when it changed since). Away ranges and
overrides are added (POST, Idempotency-Key honoured) and removed (DELETE) one by one; every
change answers with the availability's new ETag.

Who changes it is named as for appointments (scheduling.entrypoints.appointments, "Actor"); a
change by staff or a specialist goes into the audit trail. PUT and POST bodies carry it as
`"actor": {"kind", "account_id"}`; a DELETE has no body, so it names it in its query:
`?actor_kind=&actor_account_id=`. Without an actor, staff act (as for the appointment commands
whose actor is optional).
"""

from __future__ import annotations

import re
import uuid
from datetime import date

from flask import Blueprint, Response, request
from pydantic import BaseModel, Field, StrictInt, ValidationError

from clinic_runtime.db import utcnow
from clinic_runtime.problems import FieldError, validation_problem
from clinic_runtime.web import db, etag, expected_version, field_errors, idempotent, json_body
from scheduling.adapters.busy_times import AppointmentsBusyTimes
from scheduling.domain.appointments import Actor
from scheduling.domain.availability import AwayRange, DayOverride, ProviderAvailability, WeeklyRule
from scheduling.entrypoints.appointments import BY_STAFF, ActorBody
from scheduling.service_layer import availability as use_cases
from scheduling.service_layer.slots import SlotQuery, slots_of_service
from scheduling.service_layer.unit_of_work import SqlUnitOfWork

blueprint = Blueprint("availability", __name__)
AVAILABILITY = "/clinics/<uuid:clinic_id>/providers/<uuid:provider_id>/availability"
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


# -- bodies -----------------------------------------------------------------------------------
# Loose bounds only keep absurd bodies out; the domain's rules say what is allowed, field by field.


class RuleBody(BaseModel):
    weekday: StrictInt
    start: str = Field(max_length=5)
    end: str = Field(max_length=5)
    valid_from: date | None = None
    valid_until: date | None = None
    location_id: uuid.UUID | None = None

    def rule(self) -> WeeklyRule:
        return WeeklyRule(self.weekday, self.start, self.end, self.valid_from, self.valid_until, self.location_id)


class ScheduleBody(BaseModel):
    timezone: str | None = Field(default=None, max_length=64)
    rules: list[RuleBody] = Field(default_factory=list, max_length=1000)
    blackout_dates: list[date] = Field(default_factory=list, max_length=1000)
    actor: ActorBody = BY_STAFF


class AwayBody(BaseModel):
    first_day: date
    last_day: date
    note: str = Field(default="", max_length=10_000)
    actor: ActorBody = BY_STAFF


class OverrideBody(BaseModel):
    day: date
    kind: str = Field(max_length=16)
    start: str | None = Field(default=None, max_length=5)
    end: str | None = Field(default=None, max_length=5)
    note: str = Field(default="", max_length=10_000)
    actor: ActorBody = BY_STAFF


# -- availability -----------------------------------------------------------------------------


@blueprint.get(AVAILABILITY)
def read_availability(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    availability = use_cases.read_availability(SqlUnitOfWork(db()), clinic_id, provider_id)
    return representation(availability), 200, {"ETag": etag(availability.version)}


@blueprint.put(AVAILABILITY)
def replace_schedule(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    expected = expected_version()
    body = json_body(ScheduleBody)
    availability = use_cases.replace_schedule(
        SqlUnitOfWork(db()), clinic_id, provider_id, timezone=body.timezone,
        rules=tuple(rule.rule() for rule in body.rules), blackout_dates=tuple(body.blackout_dates),
        expected_version=expected, actor=body.actor.actor(), now=utcnow())
    return representation(availability), 200, {"ETag": etag(availability.version)}


@blueprint.post(f"{AVAILABILITY}/away")
@idempotent
def add_away(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    body = json_body(AwayBody)
    availability, away = use_cases.add_away(SqlUnitOfWork(db()), clinic_id, provider_id, first_day=body.first_day,
                                            last_day=body.last_day, note=body.note.strip(), actor=body.actor.actor(),
                                            now=utcnow())
    return _away(away), 201, {
        "Location": f"/clinics/{clinic_id}/providers/{provider_id}/availability/away/{away.away_id}",
        "ETag": etag(availability.version)}


@blueprint.delete(f"{AVAILABILITY}/away/<uuid:away_id>")
def remove_away(clinic_id: uuid.UUID, provider_id: uuid.UUID, away_id: uuid.UUID):
    availability = use_cases.remove_away(SqlUnitOfWork(db()), clinic_id, provider_id, away_id,
                                         actor=_actor_of_query(), now=utcnow())
    return Response(status=204, headers={"ETag": etag(availability.version)})


@blueprint.post(f"{AVAILABILITY}/overrides")
@idempotent
def add_override(clinic_id: uuid.UUID, provider_id: uuid.UUID):
    body = json_body(OverrideBody)
    availability, override = use_cases.add_override(
        SqlUnitOfWork(db()), clinic_id, provider_id, day=body.day, kind=body.kind, start=body.start, end=body.end,
        note=body.note.strip(), actor=body.actor.actor(), now=utcnow())
    return _override(override), 201, {
        "Location": f"/clinics/{clinic_id}/providers/{provider_id}/availability/overrides/{override.override_id}",
        "ETag": etag(availability.version)}


@blueprint.delete(f"{AVAILABILITY}/overrides/<uuid:override_id>")
def remove_override(clinic_id: uuid.UUID, provider_id: uuid.UUID, override_id: uuid.UUID):
    availability = use_cases.remove_override(SqlUnitOfWork(db()), clinic_id, provider_id, override_id,
                                             actor=_actor_of_query(), now=utcnow())
    return Response(status=204, headers={"ETag": etag(availability.version)})


def representation(availability: ProviderAvailability) -> dict[str, object]:
    schedule = availability.schedule
    return {
        "clinic_id": str(availability.clinic_id), "provider_id": str(availability.provider_id),
        "timezone": schedule.timezone,
        "rules": [{"weekday": rule.weekday, "start": rule.start, "end": rule.end,
                   "valid_from": _day(rule.valid_from), "valid_until": _day(rule.valid_until),
                   "location_id": str(rule.location_id) if rule.location_id else None} for rule in schedule.rules],
        "blackout_dates": [day.isoformat() for day in schedule.blackout_dates],
        "away": [_away(away) for away in availability.away],
        "overrides": [_override(override) for override in availability.overrides],
        "version": availability.version,
        "updated_at": availability.updated_at.isoformat() if availability.updated_at else None,
    }


def _away(away: AwayRange) -> dict[str, object]:
    return {"id": str(away.away_id), "first_day": away.first_day.isoformat(), "last_day": away.last_day.isoformat(),
            "note": away.note}


def _override(override: DayOverride) -> dict[str, object]:
    return {"id": str(override.override_id), "day": override.day.isoformat(), "kind": override.kind,
            "start": override.start, "end": override.end, "note": override.note}


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _actor_of_query() -> Actor:
    """A DELETE's actor, from `?actor_kind=&actor_account_id=`; staff when neither is given."""
    given = {name: request.args[f"actor_{name}"] for name in ("kind", "account_id") if f"actor_{name}" in request.args}
    if not given:
        return BY_STAFF.actor()
    try:
        return ActorBody.model_validate(given).actor()
    except ValidationError as error:
        raise validation_problem([FieldError(f"actor_{found.field}", found.message)
                                  for found in field_errors(error)]) from None


# -- slots ------------------------------------------------------------------------------------


@blueprint.get("/clinics/<uuid:clinic_id>/services/<uuid:service_id>/slots")
def read_slots(clinic_id: uuid.UUID, service_id: uuid.UUID):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD&tz=<IANA zone>[&provider_id=][&calendar_id=]`: the slots
    starting on those days (both included) as a clock in `tz` shows them, times in `tz`."""
    uow, now = SqlUnitOfWork(db()), utcnow()
    slots = slots_of_service(uow, AppointmentsBusyTimes(uow.appointments, now), _slot_query(clinic_id, service_id), now)
    return {"slots": [{"start": slot.start.isoformat(), "end": slot.end.isoformat(),
                       "provider_id": str(slot.provider_id)} for slot in slots]}


def _slot_query(clinic_id: uuid.UUID, service_id: uuid.UUID) -> SlotQuery:
    """Every malformed parameter is reported at once."""
    errors: list[FieldError] = []
    days = {}
    for name in ("from", "to"):
        value = request.args.get(name, "")
        try:
            days[name] = date.fromisoformat(value) if DAY.fullmatch(value) else None
        except ValueError:
            days[name] = None
        if days[name] is None:
            errors.append(FieldError(name, "must be a day YYYY-MM-DD"))
    timezone = request.args.get("tz", "")
    if not timezone:
        errors.append(FieldError("tz", "name the IANA time zone of the days and times, e.g. Europe/Bucharest"))
    ids = {}
    for name in ("provider_id", "calendar_id"):
        try:
            ids[name] = uuid.UUID(request.args[name]) if name in request.args else None
        except ValueError:
            errors.append(FieldError(name, "must be an id (a UUID)"))
    if errors:
        raise validation_problem(errors)
    return SlotQuery(clinic_id, service_id, days["from"], days["to"], timezone, ids["provider_id"],
                     ids["calendar_id"])
