"""The rules of patient tiers, and of telerehab and library access: what a tier may say, how much
a patient joining mid-period gets, and who may use telerehab or the library when."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from entitlements.domain.capabilities import Capability, CapabilityDecision, Gate
from entitlements.domain.care_access import decide_access
from entitlements.domain.decisions import Decision, Principal, PrincipalKind, ReasonCode
from entitlements.domain.enrollments import EnrollmentStatus, enroll
from entitlements.domain.permissions import Grant, Scope
from entitlements.domain.plans import Money
from entitlements.domain.roles import BUILT_IN_ROLES, RoleBundle, RoleDefinition, patient_safe_role
from entitlements.domain.service_plans import AccessGrant, PeriodUnit, PlanPeriod, ServicePlan, ServicePlanKind
from entitlements.domain.tiers import Inclusion, Membership, OnUpgrade, TierTerms, check_tier
from entitlements.service_layer.care import open_access

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
CONSULTATION = uuid.UUID("0193a5e0-0000-7000-8000-0000000091c1")
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)
YEARLY = PlanPeriod(1, PeriodUnit.YEAR)


def terms(**changes) -> TierTerms:
    fields = {"name": "Annual Premium", "role_key": "premium", "period": YEARLY,
              "price": Money(20000, "RON"), "inclusions": (Inclusion(CONSULTATION, 4),), **changes}
    return TierTerms(**fields)


def test_a_well_formed_tier_breaks_no_rule():
    assert check_tier("annual-premium", terms(), True, {CONSULTATION}, role_patient_safe=True) == []


def test_a_tier_without_inclusions_is_a_role_only_tier():
    assert check_tier("free", terms(inclusions=()), True, set(), role_patient_safe=True) == []


@pytest.mark.parametrize(("key", "changes", "role_known", "field"), [
    ("Premium", {}, True, "key"),
    ("premium", {"name": "  "}, True, "name"),
    ("premium", {}, False, "role_key"),
    ("premium", {"period": PlanPeriod(0, PeriodUnit.YEAR)}, True, "period.count"),
    ("premium", {"period": PlanPeriod(101, PeriodUnit.YEAR)}, True, "period.count"),
    ("premium", {"period": PlanPeriod(1201, PeriodUnit.MONTH)}, True, "period.count"),
    ("premium", {"period": PlanPeriod(100_000, PeriodUnit.DAY)}, True, "period.count"),
    ("premium", {"price": Money(-1, "RON")}, True, "price.amount_minor"),
    ("premium", {"price": Money(2**63, "RON")}, True, "price.amount_minor"),
    ("premium", {"inclusions": (Inclusion(uuid.uuid4(), 4),)}, True, "inclusions[0].plan_id"),
    ("premium", {"inclusions": (Inclusion(CONSULTATION, 0),)}, True, "inclusions[0].sessions"),
    ("premium", {"inclusions": (Inclusion(CONSULTATION, 1), Inclusion(CONSULTATION, 2))}, True,
     "inclusions[1].plan_id"),
])
def test_a_tier_breaking_a_rule_is_told_which_field(key, changes, role_known, field):
    assert [f for f, _ in check_tier(key, terms(**changes), role_known, {CONSULTATION},
                                     role_patient_safe=True)] == [field]


def test_a_tier_may_not_map_to_a_role_a_patient_may_not_hold():
    assert [f for f, _ in check_tier("premium", terms(), True, {CONSULTATION},
                                     role_patient_safe=False)] == ["role_key"]


@pytest.mark.parametrize(("key", "grants", "safe"), [
    ("patient", (), True),
    ("clinic_admin", (), False),
    ("receptionist", (), False),
    ("reader", (Grant("library.access", Scope.ANY), Grant("telerehab.access", Scope.ANY),
                Grant("appointments.book", Scope.OWN)), True),
    ("all-appointments", (Grant("appointments.read", Scope.ANY),), False),
    ("catalog", (Grant("library.access", Scope.ANY), Grant("catalog.manage", Scope.ANY)), False),
])
def test_a_patient_safe_role_grants_only_what_a_patient_may_hold(key, grants, safe):
    bundle = None if key in BUILT_IN_ROLES else RoleBundle.create(
        uuid.uuid4(), key, RoleDefinition(key, grants), START)
    assert patient_safe_role(key, bundle) is safe


def membership(start: datetime, end: datetime, anchor: datetime) -> Membership:
    return Membership(CLINIC, uuid.uuid4(), "monthly", start, end, anchor, start, None, 1)


def test_a_monthly_tier_joined_on_the_31st_renews_on_each_months_last_day_not_on_the_28th():
    joined = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    monthly = PlanPeriod(1, PeriodUnit.MONTH)
    current = membership(joined, monthly.after(joined), joined)
    periods = []
    for _ in range(3):
        current = current.renewed(monthly, current.period_end)
        periods.append((current.period_start.date().isoformat(), current.period_end.date().isoformat()))

    assert periods == [("2026-02-28", "2026-03-31"), ("2026-03-31", "2026-04-30"), ("2026-04-30", "2026-05-31")]
    assert current.version == 4


def test_a_renewal_skips_the_periods_missed_entirely():
    joined = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    monthly = PlanPeriod(1, PeriodUnit.MONTH)

    renewed = membership(joined, monthly.after(joined), joined).renewed(monthly, datetime(2026, 6, 2, tzinfo=UTC))

    assert (renewed.period_start, renewed.period_end) == (datetime(2026, 5, 31, 9, 0, tzinfo=UTC),
                                                          datetime(2026, 6, 30, 9, 0, tzinfo=UTC))


def test_after_the_tiers_period_changes_the_run_counts_afresh_from_the_current_periods_end():
    joined = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    current = membership(joined, datetime(2026, 2, 28, 9, 0, tzinfo=UTC), joined)

    renewed = current.renewed(YEARLY, current.period_end)

    assert (renewed.period_start, renewed.period_end, renewed.period_anchor) == (
        current.period_end, datetime(2027, 2, 28, 9, 0, tzinfo=UTC), current.period_end)


def test_joining_mid_period_grants_the_inclusion_in_full_by_default():
    assert Inclusion(CONSULTATION, 4).sessions_joining(START, END, START + (END - START) / 2) == 4


def test_a_pro_rated_inclusion_grants_the_share_left_rounded_down():
    inclusion = Inclusion(CONSULTATION, 4, on_upgrade=OnUpgrade.PRORATED)

    assert inclusion.sessions_joining(START, END, START) == 4
    assert inclusion.sessions_joining(START, END, START + (END - START) / 2) == 2
    assert inclusion.sessions_joining(START, END, END - timedelta(days=30)) == 0


# -- telerehab and library access -----------------------------------------------------------------

PATIENT = Principal(uuid.uuid4(), PrincipalKind.PATIENT, CLINIC)
STAFF = Principal(uuid.uuid4(), PrincipalKind.STAFF, CLINIC)
BY_ROLE = Decision(True, Scope.ANY, ReasonCode.GRANTED, "role premium grants library.access (any)")
NO_GRANT = Decision(False, None, ReasonCode.NOT_GRANTED, "no role of this principal in the clinic grants it")
ON = CapabilityDecision(Capability.TELEREHAB, (), None)
OFF = CapabilityDecision(Capability.TELEREHAB, (Gate.NOT_IN_PLAN, Gate.NOT_CLEARED), None)


class Lookups:
    def __init__(self, grants=frozenset(), capability=ON) -> None:
        self.asked: list[str] = []
        self._grants = grants
        self._capability = capability

    def open_grants(self) -> frozenset[AccessGrant]:
        self.asked.append("grants")
        return self._grants

    def telerehab(self) -> CapabilityDecision:
        self.asked.append("capability")
        return self._capability


def decide(decision, principal=PATIENT, lookups=None, grant=AccessGrant.LIBRARY) -> Decision:
    lookups = lookups or Lookups()
    return decide_access(decision, principal, grant, lookups.open_grants, lookups.telerehab)


def test_a_role_granting_access_needs_the_telerehab_capability_on():
    lookups = Lookups()

    assert decide(BY_ROLE, lookups=lookups) == BY_ROLE
    assert lookups.asked == ["capability"]  # the enrollments are not read when a role grants it


def test_with_telerehab_off_access_is_refused_naming_every_gate():
    assert decide(BY_ROLE, lookups=Lookups(capability=OFF)) == Decision(
        False, None, ReasonCode.CAPABILITY_OFF, "telerehab is off in this clinic (not_in_plan, not_cleared)")


def test_an_open_enrollment_granting_it_gives_a_patient_access_without_the_role():
    decision = decide(NO_GRANT, lookups=Lookups(frozenset({AccessGrant.LIBRARY})))

    assert (decision.allowed, decision.reason_code) == (True, ReasonCode.GRANTED)
    assert decision.reason == "an open enrollment of the patient grants library access"


def test_an_enrollment_granting_another_access_does_not_count():
    assert decide(NO_GRANT, lookups=Lookups(frozenset({AccessGrant.TELEREHAB}))) == NO_GRANT


def test_enrollments_give_access_to_patients_only():
    lookups = Lookups(frozenset({AccessGrant.LIBRARY}))

    assert decide(NO_GRANT, principal=STAFF, lookups=lookups) == NO_GRANT
    assert lookups.asked == []


def test_a_refusal_for_another_reason_stands_without_any_lookup():
    other_clinic = Decision(False, None, ReasonCode.OTHER_CLINIC, "the principal belongs to another clinic")
    lookups = Lookups(frozenset({AccessGrant.LIBRARY}))

    assert decide(other_clinic, lookups=lookups) == other_clinic
    assert lookups.asked == []


def test_the_access_open_to_a_patient_is_the_latest_end_over_their_open_enrollments():
    def bought(grants, period) -> object:
        plan = ServicePlan(CLINIC, uuid.uuid4(), "Telerehab", ServicePlanKind.SUBSCRIPTION, None, None, period, None,
                           (), grants, 1, False)
        return enroll(plan, PATIENT.id, uuid.uuid4(), START, None)

    month = bought((AccessGrant.TELEREHAB,), PlanPeriod(1, PeriodUnit.MONTH))
    quarter = bought((AccessGrant.TELEREHAB, AccessGrant.LIBRARY), PlanPeriod(3, PeriodUnit.MONTH))
    cancelled = replace(bought((AccessGrant.LIBRARY,), YEARLY), status=EnrollmentStatus.CANCELED, ended_at=START)

    assert open_access([month, quarter, cancelled], START + timedelta(days=1)) == (
        (AccessGrant.LIBRARY, datetime(2026, 4, 1, tzinfo=UTC)), (AccessGrant.TELEREHAB, datetime(2026, 4, 1, tzinfo=UTC)))
    assert open_access([month, quarter], datetime(2026, 4, 1, tzinfo=UTC)) == ()
