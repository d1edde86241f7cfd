"""Use cases on usage meters: keeping them from other services' events, reading them against the
clinic's effective limits, and admitting (or refusing) one more of a capped thing.

An admission asked by another service before it creates something (the gateway before catalog
adds a specialist or a location, before scheduling registers a patient) is a check, not a
reservation: the thing is counted when its event arrives, so creates racing one another, or
made before the previous one's event arrived, can overshoot the limit by that many; the meter is
right again as soon as the events are in, and the next admission sees it. Staff users are
counted from entitlements' own role assignments, so that admission is part of the transaction
that makes someone staff (a grant, or a change making a role a staff role), with the clinic's
subscription row locked before anything is counted: concurrent changes cannot overshoot.
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


def admit(uow: UsageUnitOfWork, clinic_id: uuid.UUID, limit: str, count: int, at: datetime) -> Admission:
    """Whether `count` more of `limit` fit; LimitReached when they do not. A check another
    service asks before it creates something: nothing is written, nothing locked."""
    if limit not in METERED:
        raise NotFound(f"metered limit {limit!r}")
    if not 1 <= count <= ADMISSION_MAX:
        raise Invalid([FieldError("count", f"use a whole number from 1 to {ADMISSION_MAX}")])
    return _admit(uow, clinic_id, limit, count, uow.subscriptions.get(clinic_id), at)


def admit_staff_role(uow: UsageUnitOfWork, clinic_id: uuid.UUID, principal_id: uuid.UUID, role_key: str,
                     at: datetime) -> None:
    """Before a role is granted: refuse it when it would make one staff user too many. A
    patient's role, or one more role for someone already on the staff, adds no staff user."""
    # Locked first: whether the principal is staff already may change until then (a revoke of
    # their other staff role committing), and a grant that skipped the lock on what it read
    # would let a racing grant take the seat it keeps.
    subscription = uow.subscriptions.get(clinic_id, lock=True)
    if not uow.meters.is_staff_role(clinic_id, role_key) or uow.meters.is_staff(clinic_id, principal_id):
        return
    _admit(uow, clinic_id, "staff_users", 1, subscription, at)


def admit_role_holders(uow: UsageUnitOfWork, clinic_id: uuid.UUID, role_key: str, at: datetime) -> None:
    """Before a change makes a role a staff role: refuse it when those holding it who are not on
    the staff yet would not fit under the staff limit."""
    subscription = uow.subscriptions.get(clinic_id, lock=True)
    joining = uow.meters.holders_joining_staff(clinic_id, role_key)
    if joining:
        _admit(uow, clinic_id, "staff_users", joining, subscription, at)


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


def _admit(uow: UsageUnitOfWork, clinic_id: uuid.UUID, limit: str, count: int, subscription: Subscription | None,
           at: datetime) -> Admission:
    """`admit` against `subscription`, as read (and, by the callers that write next, locked)."""
    usage = _usage(uow, clinic_id, limit, subscription, _overrides(uow, clinic_id, at), at)
    plan = base_plan(subscription, at)
    if not usage.admits(count):
        raise LimitReached(usage, plan, count)
    return Admission(usage, plan)


def _overrides(uow: UsageUnitOfWork, clinic_id: uuid.UUID, at: datetime) -> list[Override]:
    return [o for o in uow.overrides.list(clinic_id) if o.active_at(at)]


def _usage(uow: UsageUnitOfWork, clinic_id: uuid.UUID, limit: str, subscription: Subscription | None,
           overrides: list[Override], at: datetime) -> Usage:
    if limit == VIDEO_MINUTES:
        period = BillingPeriod.containing(at)
        return video_usage(uow.meters.video_minutes(clinic_id, period), uow.meters.drawn_in(clinic_id, period),
                           subscription, overrides, uow.meters.drawn(clinic_id), at)
    return counted_usage(limit, uow.meters.count(clinic_id, limit), subscription, overrides, at)
