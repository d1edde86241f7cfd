"""Use cases of the commercial model with fakes: what each stores, audits and publishes, and what
it refuses without writing anything."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clinic_contracts import Event
from clinic_contracts.events.entitlements import (
    CapabilityClearanceChangedV1,
    CapabilityPausedV1,
    CapabilityResumedV1,
    EntitlementOverrideGrantedV1,
    EntitlementOverrideRevokedV1,
    PlanVersionPublishedV1,
    PlanWithdrawnV1,
    SubscriptionChangedV1,
)
from clinic_runtime.refusals import Conflict, Invalid, NotFound, StaleVersion
from entitlements.adapters.commercial import CapabilityGates, OverrideRepository, PlanCatalog, SubscriptionRepository
from entitlements.domain.audit import AuditEntry
from entitlements.domain.capabilities import Capability, Clearance, Gate, Pause
from entitlements.domain.effective import Override
from entitlements.domain.example_catalog import EXAMPLE_CATALOG
from entitlements.domain.plans import Money, Period, Plan, PlanKind, Terms
from entitlements.domain.subscriptions import BillingPeriod, Subscription
from entitlements.service_layer import capabilities, plans, subscriptions
from entitlements.service_layer.commercial_unit_of_work import CommercialUnitOfWork

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
SALES = uuid.UUID("0193a5e0-0000-7000-8000-0000000005a1")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRO = Terms(frozenset({"booking"}), {"patients": 1000}, Money(49000, "RON"), Period.MONTH)
TELEREHAB = Terms(frozenset({"telerehab"}), {}, Money(29000, "RON"), Period.MONTH)


class FakePlanCatalog:
    def __init__(self) -> None:
        self.plans: dict[str, Plan] = {}

    def get(self, key: str, *, lock: bool = False) -> Plan | None:
        return self.plans.get(key)

    def list(self) -> list[Plan]:
        return [self.plans[k] for k in sorted(self.plans)]

    def add(self, plan: Plan, published_by: uuid.UUID | None) -> bool:
        if plan.key in self.plans:
            return False
        self.plans[plan.key] = plan
        return True

    def save(self, plan: Plan, expected_version: int, published_by: uuid.UUID | None) -> bool:
        if self.plans[plan.key].current.version != expected_version:
            return False
        self.plans[plan.key] = plan
        return True


class FakeSubscriptions:
    def __init__(self) -> None:
        self.held: dict[uuid.UUID, Subscription] = {}

    def get(self, clinic_id: uuid.UUID, *, lock: bool = False) -> Subscription | None:
        return self.held.get(clinic_id)

    def add(self, subscription: Subscription) -> bool:
        if subscription.clinic_id in self.held:
            return False
        self.held[subscription.clinic_id] = subscription
        return True

    def save(self, subscription: Subscription, expected_version: int) -> bool:
        if self.held[subscription.clinic_id].version != expected_version:
            return False
        self.held[subscription.clinic_id] = subscription
        return True


class FakeOverrides:
    def __init__(self) -> None:
        self.held: dict[uuid.UUID, Override] = {}

    def list(self, clinic_id: uuid.UUID) -> list[Override]:
        return [o for o in self.held.values() if o.clinic_id == clinic_id]

    def add(self, override: Override) -> None:
        self.held[override.id] = override

    def revoke(self, override: Override) -> None:
        self.held[override.id] = override


class FakeCapabilityGates:
    def __init__(self) -> None:
        self.clearances: dict[Capability, Clearance] = {}
        self.paused: dict[tuple[uuid.UUID, Capability], Pause] = {}

    def clearance(self, capability: Capability) -> Clearance:
        return self.clearances.get(capability, Clearance.default(capability))

    def set_clearance(self, clearance: Clearance) -> None:
        self.clearances[clearance.capability] = clearance

    def pauses(self, clinic_id: uuid.UUID) -> list[Pause]:
        return [p for (c, _), p in self.paused.items() if c == clinic_id]

    def add_pause(self, pause: Pause) -> bool:
        return self.paused.setdefault((pause.clinic_id, pause.capability), pause) is pause

    def remove_pause(self, clinic_id: uuid.UUID, capability: Capability) -> Pause | None:
        return self.paused.pop((clinic_id, capability), None)


class FakeAudit:
    def __init__(self) -> None:
        self.recorded: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.recorded.append(entry)

    def entries(self, clinic_id: uuid.UUID, limit: int, before: datetime | None) -> list[AuditEntry]:
        return [e for e in reversed(self.recorded) if e.clinic_id == clinic_id][:limit]


class FakeCommercialUnitOfWork:
    def __init__(self) -> None:
        self.plans = FakePlanCatalog()
        self.subscriptions = FakeSubscriptions()
        self.overrides = FakeOverrides()
        self.capabilities = FakeCapabilityGates()
        self.audit = FakeAudit()
        self.published: list[tuple[Event, uuid.UUID | None]] = []

    def publish(self, event: Event, *, clinic_id: uuid.UUID | None) -> None:
        self.published.append((event, clinic_id))

    def types(self) -> list[str]:
        return [event.event_type for event, _ in self.published]


# The fakes must keep fitting the ports they stand in for (checked by type checkers).
_plans: PlanCatalog = FakePlanCatalog()
_subscriptions: SubscriptionRepository = FakeSubscriptions()
_overrides: OverrideRepository = FakeOverrides()
_gates: CapabilityGates = FakeCapabilityGates()
_uow: CommercialUnitOfWork = FakeCommercialUnitOfWork()


@pytest.fixture
def uow() -> FakeCommercialUnitOfWork:
    return FakeCommercialUnitOfWork()


@pytest.fixture
def on_pro(uow) -> Subscription:
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)
    plans.publish_plan(uow, "telerehab-pack", PlanKind.ADD_ON, "Telerehab Pack", TELEREHAB, (), None, NOW)
    subscription = subscriptions.subscribe(uow, CLINIC, "pro", SALES, NOW)
    uow.published.clear()
    uow.audit.recorded.clear()
    return subscription


# -- plans ------------------------------------------------------------------------------------


def test_publishing_a_plan_publishes_its_first_version_for_no_clinic(uow):
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)

    [(event, clinic_id)] = uow.published
    assert isinstance(event, PlanVersionPublishedV1) and clinic_id is None
    assert (event.version, event.terms.price.amount_minor, event.terms.limits) == (1, 49000, {"patients": 1000})


def test_an_invalid_plan_is_refused_with_every_broken_rule_and_nothing_stored(uow):
    with pytest.raises(Invalid) as refused:
        plans.publish_plan(uow, "Pro!", PlanKind.BASE, " ", replace(PRO, limits={"beds": 1}), (), None, NOW)

    assert [p.field for p in refused.value.problems] == ["key", "name", "limits.beds"]
    assert uow.plans.plans == {} and uow.published == []


def test_revising_an_unchanged_plan_publishes_nothing(uow):
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)
    uow.published.clear()

    assert plans.revise_plan(uow, "pro", "Pro", PRO, (), 1, None, NOW).current.version == 1
    assert uow.published == []


def test_revising_from_a_stale_version_is_refused(uow):
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)
    plans.revise_plan(uow, "pro", "Pro", replace(PRO, price=Money(59000, "RON")), (), 1, None, NOW)

    with pytest.raises(StaleVersion) as stale:
        plans.revise_plan(uow, "pro", "Pro", replace(PRO, price=Money(69000, "RON")), (), 1, None, NOW)

    assert stale.value.current == 2


def test_withdrawing_a_plan_publishes_once(uow):
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)
    plans.withdraw_plan(uow, "pro", 1, None, NOW)
    plans.withdraw_plan(uow, "pro", 1, None, NOW)

    assert uow.types() == [PlanVersionPublishedV1.event_type, PlanWithdrawnV1.event_type]


def test_seeding_the_example_catalog_twice_publishes_each_plan_once(uow):
    first = plans.seed_catalog(uow, EXAMPLE_CATALOG, NOW)
    again = plans.seed_catalog(uow, EXAMPLE_CATALOG, NOW + timedelta(days=1))

    assert len(first) == len(EXAMPLE_CATALOG) == len(uow.published) and again == []


# -- subscriptions ----------------------------------------------------------------------------


def test_starting_a_subscription_audits_and_publishes_it(uow):
    plans.publish_plan(uow, "pro", PlanKind.BASE, "Pro", PRO, (), None, NOW)

    subscriptions.subscribe(uow, CLINIC, "pro", SALES, NOW)

    event, clinic_id = uow.published[-1]
    assert isinstance(event, SubscriptionChangedV1) and clinic_id == CLINIC
    assert (event.change, event.version, [i.plan_key for i in event.items]) == ("started", 1, ["pro"])
    [entry] = uow.audit.recorded
    assert (entry.action, entry.actor_id, entry.before) == ("subscription.changed", SALES, None)


def test_a_clinic_subscribes_once(uow, on_pro):
    with pytest.raises(Conflict) as refused:
        subscriptions.subscribe(uow, CLINIC, "pro", SALES, NOW)
    assert refused.value.kind == "subscription-exists"


def test_adding_an_item_publishes_the_whole_subscription(uow, on_pro):
    subscription, item_id = subscriptions.add_item(uow, CLINIC, "telerehab-pack", 1, SALES, NOW)

    [(event, _)] = uow.published
    assert (event.change, event.item_id, event.version) == ("item_added", item_id, 2)
    assert [i.plan_key for i in event.items] == ["pro", "telerehab-pack"]
    assert uow.subscriptions.get(CLINIC) == subscription


def test_cancelling_an_item_already_cancelled_records_nothing(uow, on_pro):
    subscription, item_id = subscriptions.add_item(uow, CLINIC, "telerehab-pack", 1, SALES, NOW)
    subscriptions.cancel_item(uow, CLINIC, item_id, 2, SALES, NOW + timedelta(days=1))
    uow.published.clear()

    subscriptions.cancel_item(uow, CLINIC, item_id, 3, SALES, NOW + timedelta(days=2))

    assert uow.published == []


def test_a_change_to_a_stale_subscription_is_refused(uow, on_pro):
    subscriptions.add_item(uow, CLINIC, "telerehab-pack", 1, SALES, NOW)

    with pytest.raises(StaleVersion) as stale:
        subscriptions.cancel_item(uow, CLINIC, on_pro.items[0].id, 1, SALES, NOW)

    assert stale.value.current == 2


def test_a_migration_publishes_the_ended_item_and_names_the_one_that_took_over(uow, on_pro):
    plans.revise_plan(uow, "pro", "Pro", replace(PRO, price=Money(59000, "RON")), (), 1, None, NOW)
    uow.published.clear()
    later = NOW + timedelta(days=40)

    subscription, new_item_id = subscriptions.migrate_item(uow, CLINIC, on_pro.items[0].id, None, 1, SALES, later)

    [(event, _)] = uow.published
    assert (event.change, event.item_id, event.version) == ("item_migrated", new_item_id, 2)
    assert [(i.item_id, i.plan_version, i.started_at, i.ends_at) for i in event.items] == [
        (on_pro.items[0].id, 1, NOW, later), (new_item_id, 2, later, None)]
    assert subscription.item(new_item_id).replaces == on_pro.items[0].id
    assert uow.subscriptions.get(CLINIC) == subscription


def test_migrating_to_a_version_the_plan_does_not_have_is_refused(uow, on_pro):
    with pytest.raises(subscriptions.PlanNotSold):
        subscriptions.migrate_item(uow, CLINIC, on_pro.items[0].id, 7, 1, SALES, NOW)


def test_a_withdrawn_plan_is_not_added(uow, on_pro):
    plans.withdraw_plan(uow, "telerehab-pack", 1, None, NOW)

    with pytest.raises(subscriptions.PlanNotSold):
        subscriptions.add_item(uow, CLINIC, "telerehab-pack", 1, SALES, NOW)


def test_the_bill_of_a_clinic_without_a_subscription_is_refused(uow):
    with pytest.raises(NotFound, match="subscription"):
        subscriptions.bill_of(uow, CLINIC, BillingPeriod(2026, 3))


# -- overrides --------------------------------------------------------------------------------


def test_granting_an_override_records_its_reason_and_who_granted_it(uow, on_pro):
    override = subscriptions.grant_override(uow, CLINIC, [], {"patients": 4000}, " Closing the deal ", None, SALES,
                                            NOW)

    assert subscriptions.entitlements_of(uow, CLINIC, NOW).entitlements.limit("patients") == 5000
    [(event, _)] = uow.published
    assert isinstance(event, EntitlementOverrideGrantedV1)
    assert (event.reason, event.granted_by, event.limits) == ("Closing the deal", SALES, {"patients": 4000})
    assert uow.audit.recorded[0].after["reason"] == "Closing the deal" == override.reason


def test_revoking_an_override_stops_it_counting_and_revoking_again_changes_nothing(uow, on_pro):
    override = subscriptions.grant_override(uow, CLINIC, ["automations"], {}, "trial", None, SALES, NOW)
    later = NOW + timedelta(days=1)

    subscriptions.revoke_override(uow, CLINIC, override.id, SALES, later)
    subscriptions.revoke_override(uow, CLINIC, override.id, SALES, later + timedelta(days=1))

    assert "automations" not in subscriptions.entitlements_of(uow, CLINIC, later).entitlements.features
    assert uow.types() == [EntitlementOverrideGrantedV1.event_type, EntitlementOverrideRevokedV1.event_type]


def test_an_override_of_another_clinic_is_unknown(uow, on_pro):
    override = subscriptions.grant_override(uow, CLINIC, ["automations"], {}, "trial", None, SALES, NOW)

    with pytest.raises(NotFound, match="override"):
        subscriptions.revoke_override(uow, uuid.uuid4(), override.id, SALES, NOW)


# -- capabilities -----------------------------------------------------------------------------


def test_turning_a_clearance_on_publishes_once(uow):
    capabilities.set_clearance(uow, Capability.TELEREHAB, True, SALES, NOW)
    capabilities.set_clearance(uow, Capability.TELEREHAB, True, SALES, NOW)

    assert uow.types() == [CapabilityClearanceChangedV1.event_type]


def test_a_pause_and_its_lifting_are_audited_and_published_for_the_clinic(uow, on_pro):
    subscriptions.add_item(uow, CLINIC, "telerehab-pack", 1, SALES, NOW)
    capabilities.set_clearance(uow, Capability.TELEREHAB, True, SALES, NOW)
    uow.published.clear()

    capabilities.pause(uow, CLINIC, Capability.TELEREHAB, "incident", None, SALES, NOW)
    paused = capabilities.capability_decision(uow, CLINIC, Capability.TELEREHAB, NOW)
    assert capabilities.resume(uow, CLINIC, Capability.TELEREHAB, SALES, NOW) is True
    assert capabilities.resume(uow, CLINIC, Capability.TELEREHAB, SALES, NOW) is False

    assert paused.off_because == (Gate.PAUSED,)
    assert capabilities.capability_decision(uow, CLINIC, Capability.TELEREHAB, NOW).on
    assert uow.types() == [CapabilityPausedV1.event_type, CapabilityResumedV1.event_type]
    assert all(clinic_id == CLINIC for _, clinic_id in uow.published)
    assert [e.action for e in uow.audit.recorded][-2:] == ["capability.paused", "capability.resumed"]


def test_pausing_a_paused_capability_is_refused_naming_the_pause_in_force(uow):
    capabilities.pause(uow, CLINIC, Capability.TELEREHAB, "incident", None, SALES, NOW)

    with pytest.raises(capabilities.AlreadyPaused) as refused:
        capabilities.pause(uow, CLINIC, Capability.TELEREHAB, "another", None, SALES, NOW)

    assert refused.value.pause.reason == "incident"
