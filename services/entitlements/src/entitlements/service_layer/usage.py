"""Use cases on usage meters: keeping them from other services' events, reading them against the
clinic's effective limits, and admitting (or refusing) one more of a capped thing.

An admission asked by another service before it creates something (the gateway before catalog
adds a specialist or a location, before scheduling registers a patient) is a check, not a
reservation: the thing is counted when its event arrives, so creates racing one another, or
made before the previous one's event arrived, can overshoot the limit by that many; the meter is
right again as soon as the events are in, and the next admission sees it. Staff users are
counted from entitlements' own role assignments, so that admission is part of the grant's
transaction, with the clinic's subscription row locked: concurrent grants cannot overshoot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from clinic_runtime.problems import FieldError
from clinic_runtime.refusals import Invalid, NotFound
from entitlements.domain.effective import Override
from entitlements.domain.subscriptions import BillingPeriod, Subscription
from entitlements.domain.usage import (
    METERED,
    VIDEO_MINUTES,
    BasePlan,
    LimitReached,
    Usage,
    base_plan,
    counted_usage,
    draws,
    pack_balances,
    period_allowance,
    video_minutes,
    video_usage,
)
from entitlements.service_layer.usage_unit_of_work import UsageUnitOfWork

ADMISSION_MAX = 1_000_000  # far beyond any real addition, well inside what any count column holds


@dataclass(frozen=True)
class ClinicUsage:
    at: datetime
    period: BillingPeriod
    plan: BasePlan | None
    meters: tuple[Usage, ...]


@dataclass(frozen=True)
class Admission:
    usage: Usage
    plan: BasePlan | None


def usage_of(uow: UsageUnitOfWork, clinic_id: uuid.UUID, at: datetime) -> ClinicUsage:
    subscription = uow.subscriptions.get(clinic_id)
    overrides = _overrides(uow, clinic_id, at)
    meters = tuple(_usage(uow, clinic_id, limit, subscription, overrides, at) for limit in METERED)
    return ClinicUsage(at, BillingPeriod.containing(at), base_plan(subscription, at), meters)


def admit(uow: UsageUnitOfWork, clinic_id: uuid.UUID, limit: str, count: int, at: datetime, *,
          lock: bool = False) -> Admission:
    """Whether `count` more of `limit` fit; LimitReached when they do not. With `lock`, the
    clinic's subscription row is held until the transaction ends, so admissions that are
    followed by a write in the same transaction are taken one at a time."""
    if limit not in METERED:
        raise NotFound(f"metered limit {limit!r}")
    if not 1 <= count <= ADMISSION_MAX:
        raise Invalid([FieldError("count", f"use a whole number from 1 to {ADMISSION_MAX}")])
    subscription = uow.subscriptions.get(clinic_id, lock=lock)
    usage = _usage(uow, clinic_id, limit, subscription, _overrides(uow, clinic_id, at), at)
    plan = base_plan(subscription, at)
    if not usage.admits(count):
        raise LimitReached(usage, plan, count)
    return Admission(usage, plan)


def admit_staff_role(uow: UsageUnitOfWork, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str,
                     at: datetime) -> None:
    """Before a role is granted: refuse it when it would make one staff user too many. A
    patient's role, or one more role for someone already on the staff, adds no staff user."""
    if not uow.meters.is_staff_role(clinic_id, role_key) or uow.meters.is_staff(clinic_id, principal_id):
        return
    admit(uow, clinic_id, "staff_users", 1, at, lock=True)


def keep_specialist(uow: UsageUnitOfWork, clinic_id: uuid.UUID, provider_id: uuid.UUID, version: int,
                    archived: bool) -> None:
    uow.meters.keep(clinic_id, "specialists", provider_id, version, counted=not archived)


def keep_locations(uow: UsageUnitOfWork, clinic_id: uuid.UUID, version: int,
                   locations: Iterable[tuple[uuid.UUID, bool]]) -> None:
    """The clinic's snapshot at `version`: each location with whether it is archived."""
    for location_id, archived in locations:
        uow.meters.keep(clinic_id, "locations", location_id, version, counted=not archived)


def count_video_consultation(uow: UsageUnitOfWork, clinic_id: uuid.UUID, appointment_id: uuid.UUID,
                             start: datetime, end: datetime) -> None:
    """A video consultation took place: its minutes count in the billing period it ended in, and
    what goes beyond the period's allowance is drawn from until-consumed packs. Once per
    appointment, however often the event comes."""
    minutes = video_minutes(start, end)
    period = BillingPeriod.containing(end)
    # Locked, so two consultations counted at once cannot both draw the same pack's last minutes.
    subscription = uow.subscriptions.get(clinic_id, lock=True)
    used_before = uow.meters.video_minutes(clinic_id, period)
    if not uow.meters.record_video(clinic_id, appointment_id, period, minutes, end) or subscription is None:
        return
    overrides = _overrides(uow, clinic_id, end)
    packs = pack_balances(subscription, uow.meters.drawn(clinic_id), end)
    for item_id, taken in draws(minutes, used_before, period_allowance(subscription, overrides, end), packs):
        uow.meters.record_draw(clinic_id, item_id, appointment_id, period, taken)


def _overrides(uow: UsageUnitOfWork, clinic_id: uuid.UUID, at: datetime) -> list[Override]:
    return [o for o in uow.overrides.list(clinic_id) if o.active_at(at)]


def _usage(uow: UsageUnitOfWork, clinic_id: uuid.UUID, limit: str, subscription: Subscription | None,
           overrides: list[Override], at: datetime) -> Usage:
    if limit == VIDEO_MINUTES:
        period = BillingPeriod.containing(at)
        return video_usage(uow.meters.video_minutes(clinic_id, period), uow.meters.drawn_in(clinic_id, period),
                           subscription, overrides, uow.meters.drawn(clinic_id), at)
    return counted_usage(limit, uow.meters.count(clinic_id, limit), subscription, overrides, at)
