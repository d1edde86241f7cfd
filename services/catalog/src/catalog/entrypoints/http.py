"""What every catalog route shares: versions in ETag / If-Match, listings (status, limit, opaque
cursor), the bodies of values used everywhere, and how refused use cases are answered."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from pydantic import BaseModel, Field, StrictInt

from catalog.adapters.entries import STATUSES, Listing
from catalog.adapters.reference_data import WorldReferenceData
from catalog.domain.values import BookingWindow, Money, Period, RefundPolicy
from catalog.service_layer.entries import Page
from catalog.service_layer.errors import InUse
from clinic_runtime import refusals
from clinic_runtime.problems import FieldError, conflict, validation_problem
from clinic_runtime.web import page_limit, problem_response

reference = WorldReferenceData()
DEFAULT_PAGE = 50
MAX_PAGE = 100


# -- listings ---------------------------------------------------------------------------------


def listing(*filters: str) -> tuple[Listing, dict[str, uuid.UUID | None]]:
    """`?status=active|archived|all&limit=1..100&cursor=<next_cursor of the previous page>`, and
    each of `filters` as an optional `?<filter>=<id>`; every malformed one is reported at once."""
    errors = []
    status = request.args.get("status", "active")
    if status not in STATUSES:
        errors.append(FieldError("status", f"use one of {', '.join(STATUSES)}"))
    limit = page_limit(errors, default=DEFAULT_PAGE, most=MAX_PAGE)
    after = None
    if "cursor" in request.args:
        after = _after(request.args["cursor"])
        if after is None:
            errors.append(FieldError("cursor", "send the next_cursor of the previous page as it was given"))
    ids = {name: _id(request.args.get(name)) for name in filters}
    errors.extend(FieldError(name, "must be an id (a UUID)") for name in filters
                  if name in request.args and ids[name] is None)
    if errors:
        raise validation_problem(errors)
    return Listing(status=status, after=after, limit=limit), ids


def _id(value: str | None) -> uuid.UUID | None:
    try:
        return None if value is None else uuid.UUID(value)
    except ValueError:
        return None


def page_body(name: str, page: Page, represent: Callable[[Any], dict[str, object]]) -> dict[str, object]:
    """`{<name>: [...], "next_cursor": <opaque> | null}`; null on the last page."""
    return {name: [represent(entry) for entry in page.entries],
            "next_cursor": None if page.next_after is None else _cursor(page.next_after)}


def _cursor(after: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(after.bytes).decode().rstrip("=")


def _after(cursor: str) -> uuid.UUID | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    return uuid.UUID(bytes=raw) if len(raw) == 16 else None


# -- refused use cases ------------------------------------------------------------------------


def answer_refusals(app: Flask) -> None:
    """Answer each refusal of a use case with its RFC 9457 problem (the request then rolls back):
    those every service shares, and an entry still in use."""
    refusals.answer_refusals(app)

    @app.errorhandler(InUse)
    def in_use(refused: InUse) -> Response:
        problem = conflict(f"{refused.what}-in-use", f"{str(refused).capitalize()}.")
        problem.extensions["used_by"] = {noun: [str(i) for i in ids] for noun, ids in refused.users.items()}
        return problem_response(problem)


# -- values in bodies -------------------------------------------------------------------------


class MoneyBody(BaseModel):
    amount_minor: StrictInt
    currency: str = Field(max_length=3)

    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


class RefundPolicyBody(BaseModel):
    kind: str = Field(max_length=16)
    percent: StrictInt | None = None
    text: str = Field(default="", max_length=2000)

    def policy(self) -> RefundPolicy:
        return RefundPolicy(self.kind, self.percent, self.text.strip())


class PeriodBody(BaseModel):
    count: StrictInt
    unit: str = Field(max_length=8)

    def period(self) -> Period:
        return Period(self.count, self.unit)


def money(value: Money | None) -> dict[str, object] | None:
    return None if value is None else {"amount_minor": value.amount_minor, "currency": value.currency}


def refund_policy(value: RefundPolicy | None) -> dict[str, object] | None:
    return None if value is None else {"kind": value.kind, "percent": value.percent, "text": value.text}


def booking_window(value: BookingWindow) -> dict[str, int]:
    return {"minimum_notice_minutes": value.minimum_notice_minutes, "booking_horizon_days": value.booking_horizon_days}


def period(value: Period | None) -> dict[str, object] | None:
    return None if value is None else {"count": value.count, "unit": value.unit}
