"""The clinic's service plans, as entitlements keeps them from catalog's events: what an
enrollment in one holds (sessions, how long they may be used, the access it grants, the services
it covers). Catalog owns them; a snapshot with a higher version replaces a lower one.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from entitlements.domain.months import months_after


class PeriodUnit(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class AccessGrant(enum.StrEnum):
    TELEREHAB = "telerehab"  # specialists may assign treatment plans to the patient
    LIBRARY = "library"  # the patient may browse and start treatment plans themselves


# The permission a decision answers for each access grant.
ACCESS_PERMISSIONS: dict[str, AccessGrant] = {"telerehab.access": AccessGrant.TELEREHAB,
                                              "library.access": AccessGrant.LIBRARY}


class ServicePlanKind(enum.StrEnum):
    SESSION_PACKAGE = "session_package"
    SUBSCRIPTION = "subscription"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class PlanPeriod:
    count: int
    unit: PeriodUnit

    def after(self, instant: datetime) -> datetime:
        """`instant` plus this period on the calendar: a month after 31 January is the last day of
        February, a year after 29 February is 28 February."""
        if self.unit is PeriodUnit.DAY:
            return instant + timedelta(days=self.count)
        if self.unit is PeriodUnit.WEEK:
            return instant + timedelta(weeks=self.count)
        return months_after(instant, self.count * (12 if self.unit is PeriodUnit.YEAR else 1))

    def end_after(self, anchor: datetime, instant: datetime) -> datetime:
        """The first end of a run of these periods from `anchor` that is later than `instant`.
        Each end is counted from `anchor`, not from the end before it, so a run of months from
        31 January ends on 28 February, 31 March, 30 April: it does not drift to the 28th."""
        if self.unit is PeriodUnit.DAY or self.unit is PeriodUnit.WEEK:
            step = timedelta(days=self.count) if self.unit is PeriodUnit.DAY else timedelta(weeks=self.count)
            whole = (instant - anchor) // step
        else:
            months = (instant.year - anchor.year) * 12 + instant.month - anchor.month
            whole = months // (self.count * (12 if self.unit is PeriodUnit.YEAR else 1))
        # The end `whole` periods on falls in `instant`'s month (or day) at the latest: it is the
        # answer or the one before it, so at most one more step is taken.
        periods = max(1, whole)
        while PlanPeriod(self.count * periods, self.unit).after(anchor) <= instant:
            periods += 1
        return PlanPeriod(self.count * periods, self.unit).after(anchor)

    def as_document(self) -> dict[str, object]:
        return {"count": self.count, "unit": str(self.unit)}

    @classmethod
    def from_document(cls, document: dict | None) -> PlanPeriod | None:
        return None if document is None else cls(int(document["count"]), PeriodUnit(document["unit"]))


@dataclass(frozen=True)
class ServicePlan:
    clinic_id: uuid.UUID
    plan_id: uuid.UUID
    name: str
    kind: ServicePlanKind
    sessions: int | None
    session_validity: PlanPeriod | None  # how long after enrolment the sessions may be used
    period: PlanPeriod | None  # a subscription's paid period; its access lasts that long
    access_window: PlanPeriod | None  # a hybrid's access, tracked apart from its sessions
    service_ids: tuple[uuid.UUID, ...]
    access_grants: tuple[AccessGrant, ...]
    version: int
    archived: bool

    def window_from(self, start: datetime) -> tuple[datetime | None, datetime | None]:
        """(sessions usable until, access open until) for an enrolment starting at `start`;
        None means no end."""
        sessions_until = None if self.session_validity is None else self.session_validity.after(start)
        if self.kind is ServicePlanKind.SUBSCRIPTION and self.period is not None:
            access_until = self.period.after(start)
            # What one payment buys lasts one period, its sessions included.
            sessions_until = access_until if sessions_until is None else min(sessions_until, access_until)
        elif self.kind is ServicePlanKind.HYBRID and self.access_window is not None:
            access_until = self.access_window.after(start)
        else:
            access_until = sessions_until
        return sessions_until, access_until
