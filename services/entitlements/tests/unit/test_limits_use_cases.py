"""Limit admissions and usage meters as use cases, with fakes: what is admitted, what is refused
and how the refusal names the limit and the plan, how the staff limit guards a role grant, and
how meters are kept from events without counting anything twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from clinic_runtime.refusals import Invalid, NotFound
from entitlements.adapters.commercial import OverrideRepository, SubscriptionRepository
from entitlements.adapters.usage import UsageMeters
from entitlements.domain.effective import Entitlements, Override
from entitlements.domain.plans import UNLIMITED, Money, PackValidity, Period, PlanKind, PlanVersion, Terms
from entitlements.domain.subscriptions import BillingPeriod, Subscription
from entitlements.domain.usage import PATIENT_ROLE, BasePlan, LimitReached, Usage
from entitlements.service_layer import usage
from entitlements.service_layer.roles import grant_role
from entitlements.service_layer.usage_unit_of_work import UsageUnitOfWork

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
SALES = uuid.UUID("0193a5e0-0000-7000-8000-0000000005a1")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EUR = Money(4900, "EUR")


class FakeSubscriptions:
    def __init__(self) -> None:
        self.held: dict[uuid.UUID, Subscription] = {}
        self.locked: list[uuid.UUID] = []

    def get(self, clinic_id: uuid.UUID, *, lock: bool = False) -> Subscription | None:
        if lock:
            self.locked.append(clinic_id)
        return self.held.get(clinic_id)

    def add(self, subscription: Subscription) -> bool:
        self.held[subscription.clinic_id] = subscription
        return True

    def save(self, subscription: Subscription, expected_version: int) -> bool:
        self.held[subscription.clinic_id] = subscription
        return True


class FakeOverrides:
    def __init__(self) -> None:
        self.held: list[Override] = []

    def list(self, clinic_id: uuid.UUID) -> list[Override]:
        return [o for o in self.held if o.clinic_id == clinic_id]

    def add(self, override: Override) -> None:
        self.held.append(override)

    def revoke(self, override: Override) -> None:
        self.held = [override if o.id == override.id else o for o in self.held]


class FakeMeters:
    def __init__(self) -> None:
        self.entities: dict[tuple[uuid.UUID, str, uuid.UUID], tuple[int, bool]] = {}
        self.patients: set[uuid.UUID] = set()
        self.staff: set[uuid.UUID] = set()
        self.holders: dict[str, set[uuid.UUID]] = {}  # role key -> who holds it
        self.tier_roles: set[str] = set()
        self.videos: dict[uuid.UUID, tuple[str, int]] = {}
        self.draws: list[tuple[uuid.UUID, uuid.UUID, str, int]] = []

    def count(self, clinic_id: uuid.UUID, meter: str) -> int:
        if meter == "patients":
            return len(self.patients)
        if meter == "staff_users":
            return len(self.staff)
        return sum(1 for (c, m, _), (_, counted) in self.entities.items() if (c, m) == (clinic_id, meter) and counted)

    def keep(self, clinic_id: uuid.UUID, meter: str, entity_id: uuid.UUID, version: int, counted: bool) -> None:
        kept = self.entities.get((clinic_id, meter, entity_id))
        if kept is None or kept[0] < version:
            self.entities[(clinic_id, meter, entity_id)] = (version, counted)

    def is_staff_role(self, clinic_id: uuid.UUID, role_key: str) -> bool:
        return role_key != PATIENT_ROLE and role_key not in self.tier_roles

    def is_staff(self, clinic_id: uuid.UUID, principal_id: uuid.UUID) -> bool:
        return principal_id in self.staff

    def holders_joining_staff(self, clinic_id: uuid.UUID, role_key: str) -> int:
        return len(self.holders.get(role_key, set()) - self.staff)

    def video_minutes(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int:
        return sum(minutes for p, minutes in self.videos.values() if p == str(period))

    def drawn(self, clinic_id: uuid.UUID) -> dict[uuid.UUID, int]:
        drawn: dict[uuid.UUID, int] = {}
        for item_id, _, _, minutes in self.draws:
            drawn[item_id] = drawn.get(item_id, 0) + minutes
        return drawn

    def drawn_in(self, clinic_id: uuid.UUID, period: BillingPeriod) -> int:
        return sum(minutes for _, _, p, minutes in self.draws if p == str(period))

    def record_video(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID, period: BillingPeriod, minutes: int,
                     completed_at: datetime) -> bool:
        if appointment_id in self.videos:
            return False
        self.videos[appointment_id] = (str(period), minutes)
        return True

    def record_draw(self, clinic_id: uuid.UUID, item_id: uuid.UUID, appointment_id: uuid.UUID,
                    period: BillingPeriod, minutes: int) -> None:
        self.draws.append((item_id, appointment_id, str(period), minutes))


class FakeUsageUnitOfWork:
    def __init__(self) -> None:
        self.subscriptions = FakeSubscriptions()
        self.overrides = FakeOverrides()
        self.meters = FakeMeters()


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_subscriptions: SubscriptionRepository = FakeSubscriptions()
_overrides: OverrideRepository = FakeOverrides()
_meters: UsageMeters = FakeMeters()
_uow: UsageUnitOfWork = FakeUsageUnitOfWork()


def version(key: str, kind: PlanKind, name: str, limits: dict, validity: PackValidity | None = None) -> PlanVersion:
    period = Period.ONE_TIME if kind is PlanKind.USAGE_PACK else Period.MONTH
    return PlanVersion(key, 1, kind, name, Terms(frozenset(), limits, EUR, period, validity), frozenset(), NOW)


STARTER = version("starter", PlanKind.BASE, "Starter", {"staff_users": 3, "specialists": 3, "patients": UNLIMITED,
                                                        "locations": UNLIMITED})
EXTRA_CLINICIAN = version("extra-clinician", PlanKind.ADD_ON, "Extra clinician licence",
                          {"staff_users": 1, "specialists": 1})


@pytest.fixture
def meters_uow() -> FakeUsageUnitOfWork:
    return FakeUsageUnitOfWork()


@pytest.fixture
def on_starter(meters_uow: FakeUsageUnitOfWork) -> Subscription:
    held = Subscription.start(CLINIC, STARTER, uuid.uuid4(), NOW)
    meters_uow.subscriptions.add(held)
    return held


def specialists(meters_uow: FakeUsageUnitOfWork, n: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(n)]
    for provider_id in ids:
        usage.keep_specialist(meters_uow, CLINIC, provider_id, 1, archived=False)
    return ids


# -- admissions -------------------------------------------------------------------------------


def test_an_addition_with_room_under_the_limit_is_admitted_with_the_meter_and_the_plan(meters_uow, on_starter):
    specialists(meters_uow, 2)

    admitted = usage.admit(meters_uow, CLINIC, "specialists", 1, NOW)

    assert admitted == usage.Admission(Usage("specialists", 2, 3), BasePlan("starter", "Starter"))


def test_an_addition_beyond_the_limit_is_refused_naming_the_limit_its_use_and_the_plan(meters_uow, on_starter):
    specialists(meters_uow, 3)

    with pytest.raises(LimitReached) as refused:
        usage.admit(meters_uow, CLINIC, "specialists", 1, NOW)

    assert (refused.value.usage, refused.value.plan, refused.value.count) == (
        Usage("specialists", 3, 3), BasePlan("starter", "Starter"), 1)


def test_several_at_once_are_admitted_only_if_all_fit(meters_uow, on_starter):
    specialists(meters_uow, 1)

    assert usage.admit(meters_uow, CLINIC, "specialists", 2, NOW).usage.used == 1
    with pytest.raises(LimitReached):
        usage.admit(meters_uow, CLINIC, "specialists", 3, NOW)


def test_a_sales_override_raises_the_limit_for_as_long_as_it_counts(meters_uow, on_starter):
    specialists(meters_uow, 3)
    meters_uow.overrides.add(Override(uuid.uuid4(), CLINIC, Entitlements(limits={"specialists": 2}),
                                      "Signed for 5 rooms", SALES, NOW, expires_at=NOW + timedelta(days=30)))

    assert usage.admit(meters_uow, CLINIC, "specialists", 2, NOW).usage.allowed == 5
    with pytest.raises(LimitReached):
        usage.admit(meters_uow, CLINIC, "specialists", 1, NOW + timedelta(days=30))


def test_a_clinic_without_a_subscription_is_admitted_uncapped(meters_uow):
    specialists(meters_uow, 40)

    admitted = usage.admit(meters_uow, CLINIC, "specialists", 1, NOW)

    assert admitted == usage.Admission(Usage("specialists", 40, None), None)


def test_only_metered_limits_and_whole_counts_from_one_are_asked(meters_uow, on_starter):
    with pytest.raises(NotFound, match="metered limit"):
        usage.admit(meters_uow, CLINIC, "storage_gb", 1, NOW)
    with pytest.raises(Invalid):
        usage.admit(meters_uow, CLINIC, "patients", 0, NOW)


def test_dropping_an_add_on_refuses_new_specialists_and_keeps_every_one_counted(meters_uow, on_starter):
    with_add_on = on_starter.add(EXTRA_CLINICIAN, uuid.uuid4(), 1, NOW)
    meters_uow.subscriptions.save(with_add_on, on_starter.version)
    kept = specialists(meters_uow, 4)
    add_on = with_add_on.items[-1]
    meters_uow.subscriptions.save(with_add_on.cancel(add_on.id, NOW + timedelta(days=1)), with_add_on.version)
    after = NOW + timedelta(days=2)

    with pytest.raises(LimitReached) as refused:
        usage.admit(meters_uow, CLINIC, "specialists", 1, after)

    assert refused.value.usage == Usage("specialists", 4, 3)
    assert {e for (_, _, e) in meters_uow.meters.entities} == set(kept)


# -- staff users --------------------------------------------------------------------------------


def test_a_staff_role_for_someone_new_to_the_staff_is_refused_at_the_limit_with_the_subscription_locked(
        meters_uow, on_starter):
    meters_uow.meters.staff |= {uuid.uuid4() for _ in range(3)}

    with pytest.raises(LimitReached) as refused:
        usage.admit_staff_role(meters_uow, CLINIC, uuid.uuid4(), "receptionist", NOW)

    assert refused.value.usage == Usage("staff_users", 3, 3)
    assert meters_uow.subscriptions.locked == [CLINIC]


def test_another_role_for_a_staff_member_and_a_patients_role_add_no_staff_user_as_seen_under_the_lock(
        meters_uow, on_starter):
    member = uuid.uuid4()
    meters_uow.meters.staff |= {member, uuid.uuid4(), uuid.uuid4()}
    meters_uow.meters.tier_roles.add("premium-patient")

    usage.admit_staff_role(meters_uow, CLINIC, member, "specialist", NOW)
    usage.admit_staff_role(meters_uow, CLINIC, uuid.uuid4(), PATIENT_ROLE, NOW)
    usage.admit_staff_role(meters_uow, CLINIC, uuid.uuid4(), "premium-patient", NOW)

    # Locked before anything was read: a revoke of the member's other role cannot slip in between.
    assert meters_uow.subscriptions.locked == [CLINIC] * 3


def test_a_role_turned_staff_is_refused_when_its_holders_new_to_the_staff_do_not_fit(meters_uow, on_starter):
    member, reader, viewer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    meters_uow.meters.staff |= {member, uuid.uuid4()}
    meters_uow.meters.holders["content-viewer"] = {member, reader, viewer}

    with pytest.raises(LimitReached) as refused:
        usage.admit_role_holders(meters_uow, CLINIC, "content-viewer", NOW)

    assert (refused.value.usage, refused.value.count) == (Usage("staff_users", 2, 3), 2)
    assert meters_uow.subscriptions.locked == [CLINIC]


def test_a_role_turned_staff_is_admitted_when_its_holders_new_to_the_staff_fit(meters_uow, on_starter):
    member = uuid.uuid4()
    meters_uow.meters.staff |= {member, uuid.uuid4()}
    meters_uow.meters.holders["content-viewer"] = {member, uuid.uuid4()}

    usage.admit_role_holders(meters_uow, CLINIC, "content-viewer", NOW)
    usage.admit_role_holders(meters_uow, CLINIC, "held-by-no-one", NOW)


def test_a_grant_refused_by_the_staff_limit_stores_audits_and_publishes_nothing(uow, meters_uow, on_starter):
    meters_uow.meters.staff |= {uuid.uuid4() for _ in range(3)}

    with pytest.raises(LimitReached):
        grant_role(uow, CLINIC, uuid.uuid4(), "receptionist", SALES, NOW,
                   staff_limit=partial(usage.admit_staff_role, meters_uow))

    assert (uow.assignments.all(), uow.audit.recorded, uow.published) == ([], [], [])


def test_a_grant_within_the_staff_limit_is_stored(uow, meters_uow, on_starter):
    principal = uuid.uuid4()

    grant_role(uow, CLINIC, principal, "receptionist", SALES, NOW,
               staff_limit=partial(usage.admit_staff_role, meters_uow))

    assert [(a.principal_id, a.role_key) for a in uow.assignments.all()] == [(principal, "receptionist")]


# -- meters kept from events ------------------------------------------------------------------


def test_a_redelivered_or_late_snapshot_never_counts_a_specialist_twice_or_revives_one(meters_uow):
    ana = uuid.uuid4()
    usage.keep_specialist(meters_uow, CLINIC, ana, 1, archived=False)
    usage.keep_specialist(meters_uow, CLINIC, ana, 1, archived=False)
    assert meters_uow.meters.count(CLINIC, "specialists") == 1

    usage.keep_specialist(meters_uow, CLINIC, ana, 2, archived=True)
    usage.keep_specialist(meters_uow, CLINIC, ana, 1, archived=False)

    assert meters_uow.meters.count(CLINIC, "specialists") == 0


def test_locations_are_counted_from_the_clinics_snapshot_without_archived_ones(meters_uow):
    centre, old_town = uuid.uuid4(), uuid.uuid4()

    usage.keep_locations(meters_uow, CLINIC, 3, [(centre, False), (old_town, False)])
    usage.keep_locations(meters_uow, CLINIC, 4, [(centre, False), (old_town, True)])

    assert meters_uow.meters.count(CLINIC, "locations") == 1


def test_a_video_consultation_counts_its_minutes_once_in_the_period_it_ended_in(meters_uow, on_starter):
    appointment = uuid.uuid4()

    for _ in range(2):
        usage.count_video_consultation(meters_uow, CLINIC, appointment, NOW, NOW + timedelta(minutes=50))

    assert meters_uow.meters.video_minutes(CLINIC, BillingPeriod(2026, 3)) == 50
    assert meters_uow.meters.video_minutes(CLINIC, BillingPeriod(2026, 4)) == 0


def test_minutes_beyond_the_periods_allowance_are_drawn_from_an_until_consumed_pack(meters_uow):
    pack = version("video-300", PlanKind.USAGE_PACK, "+300 video minutes", {"video_minutes": 300},
                   PackValidity.UNTIL_CONSUMED)
    base = version("pro", PlanKind.BASE, "Pro", {"video_minutes": 100})
    held = Subscription.start(CLINIC, base, uuid.uuid4(), NOW).add(pack, uuid.uuid4(), 1, NOW)
    meters_uow.subscriptions.add(held)

    usage.count_video_consultation(meters_uow, CLINIC, uuid.uuid4(), NOW, NOW + timedelta(minutes=60))
    usage.count_video_consultation(meters_uow, CLINIC, uuid.uuid4(), NOW, NOW + timedelta(minutes=60))
    march = usage.usage_of(meters_uow, CLINIC, NOW + timedelta(hours=2))
    april = usage.usage_of(meters_uow, CLINIC, datetime(2026, 4, 2, tzinfo=UTC))

    assert meters_uow.meters.drawn(CLINIC) == {held.items[-1].id: 20}
    assert march.meters[-1] == Usage("video_minutes", 120, 100 + 20 + 280)
    assert april.meters[-1] == Usage("video_minutes", 0, 100 + 280)


def test_the_usage_of_a_clinic_lists_every_meter_with_its_plan(meters_uow, on_starter):
    specialists(meters_uow, 2)
    meters_uow.meters.patients |= {uuid.uuid4()}

    held = usage.usage_of(meters_uow, CLINIC, NOW)

    assert held.plan == BasePlan("starter", "Starter")
    assert [(u.limit, u.used, u.allowed) for u in held.meters] == [
        ("patients", 1, None), ("specialists", 2, 3), ("staff_users", 0, 3), ("locations", 0, None),
        ("video_minutes", 0, 0)]
