"""Clinical capabilities: on only when sold (plan or override), cleared by the platform and not
paused for the clinic; a decision names every gate that keeps one off. Replays the seed's
medical-features example on Pro + Telerehab Pack."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from entitlements.domain.capabilities import Capability, Clearance, Gate, Pause, check_pause, decide
from entitlements.domain.effective import Entitlements, Override, effective_at
from entitlements.domain.plans import Money, Period, Plan, PlanKind, Terms
from entitlements.domain.subscriptions import BillingPeriod, Subscription

CLINIC = uuid.UUID("0193a5e0-0000-7000-8000-00000000c11a")
OPERATOR = uuid.UUID("0193a5e0-0000-7000-8000-0000000000f1")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TELEREHAB = Capability.TELEREHAB

PRO = Plan.publish("pro", PlanKind.BASE, "Pro", Terms(frozenset({"booking"}), {"patients": 1000},
                                                      Money(49000, "RON"), Period.MONTH), (), NOW)
TELEREHAB_PACK = Plan.publish("telerehab-pack", PlanKind.ADD_ON, "Telerehab Pack",
                              Terms(frozenset({"telerehab"}), {}, Money(29000, "RON"), Period.MONTH), (), NOW)
CLEARED = Clearance(TELEREHAB, True, NOW, OPERATOR)


def pro_with_telerehab() -> Subscription:
    return Subscription.start(CLINIC, PRO.current, uuid.UUID(int=1), NOW).add(
        TELEREHAB_PACK.current, uuid.UUID(int=2), 1, NOW)


def pause() -> Pause:
    return Pause(CLINIC, TELEREHAB, "incident under review", NOW + timedelta(days=7), NOW, OPERATOR)


def test_clearance_is_off_until_the_platform_turns_it_on():
    assert all(not Clearance.default(c).cleared for c in Capability)


def test_with_clearance_off_telerehab_is_off_even_on_a_plan_that_sells_it():
    sold = effective_at(pro_with_telerehab().items, (), NOW)

    decision = decide(TELEREHAB, sold, Clearance.default(TELEREHAB), None, NOW)

    assert not decision.on and decision.off_because == (Gate.NOT_CLEARED,)


def test_with_clearance_on_the_plan_drives_the_capability_on():
    decision = decide(TELEREHAB, effective_at(pro_with_telerehab().items, (), NOW), CLEARED, None, NOW)

    assert decision.on and decision.off_because == ()


def test_a_pause_for_one_clinic_turns_it_off_again_and_leaves_the_bill_as_it_was():
    subscription = pro_with_telerehab()
    bill_before = subscription.bill(BillingPeriod.containing(NOW))

    decision = decide(TELEREHAB, effective_at(subscription.items, (), NOW), CLEARED, pause(), NOW)

    assert decision.off_because == (Gate.PAUSED,)
    assert (decision.pause.reason, decision.pause.expected_until) == ("incident under review", NOW + timedelta(days=7))
    assert subscription.bill(BillingPeriod.containing(NOW)) == bill_before
    assert bill_before.total == Money(78000, "RON")


def test_a_pause_holds_from_the_moment_it_was_made():
    tomorrows = Pause(CLINIC, TELEREHAB, "planned maintenance", None, NOW + timedelta(days=1), OPERATOR)

    decision = decide(TELEREHAB, effective_at(pro_with_telerehab().items, (), NOW), CLEARED, tomorrows, NOW)

    assert decision.on and decision.pause is None


def test_a_capability_no_plan_sells_is_off_for_that_reason():
    on_pro = Subscription.start(CLINIC, PRO.current, uuid.UUID(int=1), NOW)

    decision = decide(TELEREHAB, effective_at(on_pro.items, (), NOW), CLEARED, None, NOW)

    assert decision.off_because == (Gate.NOT_IN_PLAN,)


def test_a_decision_names_every_gate_that_keeps_the_capability_off():
    decision = decide(Capability.VIDEO_CONSULTATIONS, Entitlements(), Clearance.default(Capability.VIDEO_CONSULTATIONS),
                      Pause(CLINIC, Capability.VIDEO_CONSULTATIONS, "jurisdiction", None, NOW, OPERATOR), NOW)

    assert decision.off_because == (Gate.NOT_IN_PLAN, Gate.NOT_CLEARED, Gate.PAUSED)


def test_an_override_grants_a_capability_as_a_plan_would():
    deal = Override(uuid.uuid4(), CLINIC, Entitlements(frozenset({"camera_measurements"})), "pilot", OPERATOR, NOW)
    on_pro = Subscription.start(CLINIC, PRO.current, uuid.UUID(int=1), NOW)

    decision = decide(Capability.CAMERA_MEASUREMENTS, effective_at(on_pro.items, [deal], NOW),
                      Clearance(Capability.CAMERA_MEASUREMENTS, True), None, NOW)

    assert decision.on


def test_dropping_the_telerehab_pack_turns_the_capability_off():
    dropped_at = NOW + timedelta(days=3)
    dropped = pro_with_telerehab().cancel(uuid.UUID(int=2), dropped_at)

    assert decide(TELEREHAB, effective_at(dropped.items, (), dropped_at), CLEARED, None,
                  dropped_at).off_because == (Gate.NOT_IN_PLAN,)


def test_a_pause_tells_the_clinic_why_and_its_eta_is_in_the_future():
    assert check_pause(" ", NOW, NOW) == [("reason", "tell the clinic why the capability is paused"),
                                          ("expected_until", "must be in the future")]
    assert check_pause("incident", NOW, None) == []
