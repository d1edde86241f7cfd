"""Patient tiers: how a clinic packages its care for patients (Basic, Annual Premium, ...).

A tier does two things. It maps to a role, which says what its patients may do; the role is
looked up when a decision is made, so changing a tier's role changes it for every patient on it.
And it may include counted service-plan sessions per period ("4 consultations a year"): each
inclusion is granted as an enrollment for the period. Two defaults, overridable per inclusion:
leftovers are dropped at renewal (use it or lose it) and a patient who moves to the tier mid-period
gets the inclusion in full (not pro-rated). When the tier is cancelled, its enrollments end softly:
their data stays, leftover sessions can no longer be used.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from entitlements.domain.plans import Money
from entitlements.domain.service_plans import PeriodUnit, PlanPeriod

KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,61}[a-z0-9]")
NAME_MAX = 100
SESSIONS_MAX = 1000
AMOUNT_MINOR_MAX = 2**63 - 1  # what a BIGINT column holds
# At most a hundred years a period, so its end stays a date any database and datetime can hold.
PERIOD_COUNT_MAX = {PeriodUnit.DAY: 36_500, PeriodUnit.WEEK: 5_200, PeriodUnit.MONTH: 1_200, PeriodUnit.YEAR: 100}


class OnRenewal(enum.StrEnum):
    DROP = "drop"  # use it or lose it: leftovers do not carry into the next period
    CARRY = "carry"  # leftovers are added to the next period's grant


class OnUpgrade(enum.StrEnum):
    FULL = "full"  # a patient who moves onto the tier mid-period gets every session
    PRORATED = "prorated"  # ... only the share of the period that is left (rounded down)


class TierArchived(Exception):
    """An archived tier changes no more and no patient can be put on it."""


@dataclass(frozen=True)
class Inclusion:
    plan_id: uuid.UUID
    sessions: int  # per tier period
    on_renewal: OnRenewal = OnRenewal.DROP
    on_upgrade: OnUpgrade = OnUpgrade.FULL

    def as_document(self) -> dict[str, object]:
        return {"plan_id": str(self.plan_id), "sessions": self.sessions, "on_renewal": str(self.on_renewal),
                "on_upgrade": str(self.on_upgrade)}

    @classmethod
    def from_document(cls, document: dict) -> Inclusion:
        return cls(uuid.UUID(document["plan_id"]), int(document["sessions"]), OnRenewal(document["on_renewal"]),
                   OnUpgrade(document["on_upgrade"]))

    def sessions_joining(self, period_start: datetime, period_end: datetime, at: datetime) -> int:
        """Sessions for a patient joining the tier at `at`, inside the period [start, end)."""
        if self.on_upgrade is OnUpgrade.FULL or at <= period_start:
            return self.sessions
        left = max((period_end - at) / (period_end - period_start), 0.0)
        return int(self.sessions * left)


@dataclass(frozen=True)
class TierTerms:
    """What a clinic says a tier is."""

    name: str
    role_key: str
    period: PlanPeriod
    price: Money | None  # informational: the clinic bills the patient itself
    inclusions: tuple[Inclusion, ...]


@dataclass(frozen=True)
class Tier:
    clinic_id: uuid.UUID
    key: str
    terms: TierTerms
    version: int
    archived: bool
    updated_at: datetime


def check_tier(key: str | None, terms: TierTerms, role_known: bool, plans_known: set[uuid.UUID], *,
               role_patient_safe: bool) -> list[tuple[str, str]]:
    """(field, message) for every rule `terms` (and `key`, when creating) break. `role_known`:
    the role is built in or a live role of the clinic; `role_patient_safe`: a patient may hold it
    (`roles.patient_safe_role`), since every patient on the tier does; `plans_known`: the clinic's
    live service plans."""
    problems = []
    if key is not None and not KEY.fullmatch(key):
        problems.append(("key", "use 2-63 lowercase letters, digits or hyphens, not starting or ending with one"))
    if not terms.name.strip() or len(terms.name.strip()) > NAME_MAX:
        problems.append(("name", f"give a name of 1-{NAME_MAX} characters"))
    if not role_known:
        problems.append(("role_key", "name a built-in role or a live role of this clinic"))
    elif not role_patient_safe:
        problems.append(("role_key", "every patient on the tier holds its role: name the patient role or a clinic "
                                     "role granting only what a patient may hold, library and telerehab access"))
    if not 1 <= terms.period.count <= PERIOD_COUNT_MAX[terms.period.unit]:
        problems.append(("period.count",
                         f"use a whole number from 1 to {PERIOD_COUNT_MAX[terms.period.unit]} (100 years)"))
    if terms.price is not None and not 0 <= terms.price.amount_minor <= AMOUNT_MINOR_MAX:
        problems.append(("price.amount_minor", f"use a whole number from 0 to {AMOUNT_MINOR_MAX}"))
    seen: set[uuid.UUID] = set()
    for n, inclusion in enumerate(terms.inclusions):
        if inclusion.plan_id not in plans_known:
            problems.append((f"inclusions[{n}].plan_id", "name a live service plan of this clinic"))
        if inclusion.plan_id in seen:
            problems.append((f"inclusions[{n}].plan_id", "include each service plan once"))
        seen.add(inclusion.plan_id)
        if not 1 <= inclusion.sessions <= SESSIONS_MAX:
            problems.append((f"inclusions[{n}].sessions", f"use a whole number from 1 to {SESSIONS_MAX}"))
    return problems


@dataclass(frozen=True)
class Membership:
    """The tier a patient is on and its current period [period_start, period_end)."""

    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    tier_key: str
    period_start: datetime
    period_end: datetime
    period_anchor: datetime  # where the run of periods the current one belongs to counts from
    since: datetime  # when the patient was put on this tier
    changed_by: uuid.UUID | None
    version: int

    def renewed(self, period: PlanPeriod, now: datetime) -> Membership:
        """The membership rolled over into its period running at `now`, skipping any period missed
        entirely. Periods are counted from the anchor, so a monthly tier joined on the 31st renews
        on the last day of shorter months and on the 31st again after them. When the tier's period
        changed since the current one began, the run counts afresh from the current period's end."""
        anchor = self.period_anchor
        if period.end_after(anchor, self.period_start) != self.period_end:
            anchor = self.period_end
        start, end = self.period_end, period.end_after(anchor, self.period_end)
        while end <= now:
            start, end = end, period.end_after(anchor, end)
        return replace(self, period_start=start, period_end=end, period_anchor=anchor, version=self.version + 1)
