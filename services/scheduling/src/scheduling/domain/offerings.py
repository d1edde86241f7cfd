"""What clinics offer, as scheduling knows it from catalog's events: specialists (providers),
services and their booking calendars.

Only what booking needs is kept: the slot engine (durations, buffers, who delivers a service,
each calendar's hours, bookable dates, minimum notice and booking horizon, the specialists' time
zones) and appointments (prices,
the forms generated when booked, cancellation and refund policy, reminder toggles). Specialists'
contact details are not kept: notifications reaches them from catalog's events itself. An
archived thing keeps its snapshot (`archived` set): appointments go on referring to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from clinic_contracts.events.catalog import DEFAULT_BOOKING_HORIZON_DAYS, DEFAULT_MINIMUM_NOTICE_MINUTES
from scheduling.domain.snapshots import Snapshot


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class RefundPolicy:
    """What a patient who cancels in time gets back."""

    kind: Literal["full", "partial", "none"]
    percent: int | None  # only for a partial refund
    text: str  # the policy in the clinic's words, shown to patients


@dataclass(frozen=True)
class ProviderSnapshot(Snapshot):
    clinic_id: uuid.UUID
    provider_id: uuid.UUID
    name: str
    timezone: str  # the zone the specialist's availability rules are written in
    location_ids: tuple[uuid.UUID, ...]
    version: int
    archived: bool
    updated_at: datetime


@dataclass(frozen=True)
class RequiredForm:
    """A form generated for the patient when the service is booked."""

    kind: Literal["intake", "consent"]
    template_key: str


@dataclass(frozen=True)
class Reminders:
    before_24h: bool
    before_1h: bool


@dataclass(frozen=True)
class ServiceSnapshot(Snapshot):
    clinic_id: uuid.UUID
    service_id: uuid.UUID
    name: str
    duration_minutes: int
    price: Money
    buffer_before_minutes: int
    buffer_after_minutes: int
    provider_ids: tuple[uuid.UUID, ...]
    required_forms: tuple[RequiredForm, ...]
    cancellation_window_hours: int | None  # None: the clinic's (ClinicSnapshot)
    refund_policy: RefundPolicy | None  # None: the clinic's (ClinicSnapshot)
    reminders: Reminders
    version: int
    archived: bool
    updated_at: datetime
    minimum_notice_minutes: int | None = None  # None: DEFAULT_MINIMUM_NOTICE
    booking_horizon_days: int | None = None  # None: DEFAULT_BOOKING_HORIZON


@dataclass(frozen=True)
class HourWindow:
    """When a calendar may be booked on one weekday, in the calendar's zone."""

    weekday: int  # ISO: 1 Monday ... 7 Sunday
    start: str  # wall-clock HH:MM
    end: str  # wall-clock HH:MM after start; 24:00 is the end of the day


@dataclass(frozen=True)
class CalendarSnapshot(Snapshot):
    clinic_id: uuid.UUID
    calendar_id: uuid.UUID
    service_id: uuid.UUID
    name: str
    kind: Literal["standard", "promotion", "custom_hours"]
    price: Money | None  # None: the service's
    timezone: str
    hours: tuple[HourWindow, ...]  # empty: whenever the service's specialists are available
    bookable_from: date | None  # first bookable day, inclusive; None: open
    bookable_until: date | None  # last bookable day, inclusive; None: open
    version: int
    archived: bool
    updated_at: datetime
    minimum_notice_minutes: int | None = None  # None: the service's
    booking_horizon_days: int | None = None  # None: the service's


# What the platform offers a service that sets neither, as catalog's contract says.
DEFAULT_MINIMUM_NOTICE = timedelta(minutes=DEFAULT_MINIMUM_NOTICE_MINUTES)
DEFAULT_BOOKING_HORIZON = timedelta(days=DEFAULT_BOOKING_HORIZON_DAYS)


@dataclass(frozen=True)
class BookingWindow:
    """How long before its start a slot stops being offered, and how far ahead slots are."""

    minimum_notice: timedelta
    horizon: timedelta


def booking_window(service: ServiceSnapshot, calendar: CalendarSnapshot | None = None) -> BookingWindow:
    """Through `calendar` (or the service alone): the calendar's own, else the service's, else the
    platform's."""
    notice, horizon = service.minimum_notice_minutes, service.booking_horizon_days
    if calendar is not None and calendar.minimum_notice_minutes is not None:
        notice = calendar.minimum_notice_minutes
    if calendar is not None and calendar.booking_horizon_days is not None:
        horizon = calendar.booking_horizon_days
    return BookingWindow(DEFAULT_MINIMUM_NOTICE if notice is None else timedelta(minutes=notice),
                         DEFAULT_BOOKING_HORIZON if horizon is None else timedelta(days=horizon))
