"""The appointment state machine (scheduling.domain.appointments): which command applies in
which status, what it changes, and the time an appointment holds."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.appointments import Actor, Appointment, HoldExpired, TransitionRefused
from scheduling.domain.offerings import Money
from scheduling.domain.video import VideoMeeting

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
STAFF = Actor("staff", uuid.UUID("0190f3b0-0000-7000-8000-00000000aaaa"))
MEETING = VideoMeeting("sandbox", "sbx-1", "https://video.test/j/sbx-1", "https://video.test/s/sbx-1")
PAYMENT = uuid.UUID("0190f3c0-0000-7000-8000-000000000001")


def held(**changes) -> Appointment:
    return replace(Appointment(
        clinic_id=uuid.uuid4(), appointment_id=uuid.uuid4(), patient_id=uuid.uuid4(), provider_id=uuid.uuid4(),
        service_id=uuid.uuid4(), calendar_id=None, start=START, end=START + timedelta(minutes=50),
        buffer_before=timedelta(minutes=5), buffer_after=timedelta(minutes=10), timezone="Europe/Bucharest",
        status="pending_payment", price=Money(20000, "RON"), enrollment_id=None,
        hold_expires_at=NOW + timedelta(minutes=15), booked_by=Actor("patient"), sms_consent=True, version=1,
        created_at=NOW, updated_at=NOW), **changes)


def paid(**changes) -> Appointment:
    return held(status="paid", payment_id=PAYMENT, version=2, **changes)


def confirmed(**changes) -> Appointment:
    return paid(video=MEETING, confirmed_at=NOW, **changes)


COMMANDS = {
    "pay": lambda a: a.pay(PAYMENT, NOW),
    "expire": lambda a: a.expire("payment_failed", NOW),
    "cancel": lambda a: a.cancel("r", STAFF, timedelta(hours=24), NOW),
    "reschedule": lambda a: a.reschedule(uuid.uuid4(), START + timedelta(days=7), NOW),
    "change_provider": lambda a: a.change_provider(uuid.uuid4(), NOW),
    "complete": lambda a: a.complete(START + timedelta(minutes=1)),
    "no_show": lambda a: a.no_show(START + timedelta(minutes=1)),
    "settle": lambda a: replace(a, enrollment_id=uuid.uuid4()).settle_without_payment(NOW),
}
ALLOWED = {
    "pending_payment": {"pay", "expire", "cancel", "reschedule", "change_provider", "settle"},
    "paid": {"cancel", "reschedule", "change_provider", "complete", "no_show"},
    "expired": {"pay", "cancel"},
    "canceled": set(), "completed": set(), "no_show": set(), "rescheduled": set(),
}


@pytest.mark.parametrize("status", sorted(ALLOWED))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_applies_only_in_the_statuses_the_design_allows(status, command):
    appointment = held(status=status)
    if command in ALLOWED[status]:
        COMMANDS[command](appointment)
    else:
        with pytest.raises(TransitionRefused):
            COMMANDS[command](appointment)


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"reschedule"}))
def test_every_transition_raises_the_version_by_one_and_stamps_the_time(command):
    booked_earlier = {"updated_at": NOW - timedelta(hours=1)}
    start = paid(**booked_earlier) if command in ("complete", "no_show", "cancel") else held(**booked_earlier)
    changed = COMMANDS[command](start)
    assert changed.version == start.version + 1
    assert changed.updated_at > start.updated_at


def test_paying_a_hold_makes_it_paid_with_its_meeting_due():
    result = held().pay(PAYMENT, NOW)
    assert (result.status, result.payment_id, result.meeting_due) == ("paid", PAYMENT, "create")


def test_paying_an_expired_hold_clears_why_it_expired():
    result = held(status="expired", expired_reason="hold_expired").pay(PAYMENT, NOW)
    assert result.status == "paid" and result.expired_reason is None


def test_a_hold_expires_by_the_clock_only_once_its_time_is_up():
    with pytest.raises(TransitionRefused, match="not expired yet"):
        held().expire("hold_expired", NOW)
    expired = held().expire("hold_expired", NOW + timedelta(minutes=15))
    assert expired.status == "expired" and expired.expired_reason == "hold_expired"


def test_a_failed_payment_expires_a_hold_at_once():
    assert held().expire("payment_failed", NOW).expired_reason == "payment_failed"


def test_only_a_booking_on_an_enrollment_or_at_no_charge_settles_without_payment():
    with pytest.raises(TransitionRefused, match="payment is due"):
        held().settle_without_payment(NOW)
    free = held(price=Money(0, "RON")).settle_without_payment(NOW)
    covered = held(enrollment_id=uuid.uuid4()).settle_without_payment(NOW)
    assert (free.status, free.payment_id, free.meeting_due) == ("paid", None, "create")
    assert covered.status == "paid"


def test_confirming_records_the_meeting_without_a_new_version():
    confirmed_now = paid(meeting_due="create").confirm(MEETING, NOW)
    assert confirmed_now.video == MEETING and confirmed_now.confirmed_at == NOW
    assert confirmed_now.meeting_due is None and confirmed_now.version == 2
    with pytest.raises(TransitionRefused):
        confirmed_now.confirm(MEETING, NOW)
    with pytest.raises(TransitionRefused):
        held().confirm(MEETING, NOW)


@pytest.mark.parametrize(("hours_before", "within"), [(24, True), (25, True), (23.9, False), (0, False)])
def test_a_cancel_is_within_policy_when_at_least_the_window_before_the_start(hours_before, within):
    canceled = paid().cancel("ill", STAFF, timedelta(hours=24), START - timedelta(hours=hours_before))
    assert canceled.canceled_within_policy is within
    assert (canceled.status, canceled.cancellation_reason, canceled.canceled_by) == ("canceled", "ill", STAFF)


def test_canceling_an_appointment_with_a_meeting_has_the_meeting_cancelled():
    assert confirmed().cancel("r", STAFF, timedelta(0), NOW).meeting_due == "cancel"
    assert held().cancel("r", STAFF, timedelta(0), NOW).meeting_due is None


def test_rescheduling_links_old_and_new_and_carries_payment_enrollment_and_meeting():
    enrollment = uuid.uuid4()
    old = confirmed(enrollment_id=enrollment)
    new_id = uuid.uuid4()
    later = START + timedelta(days=1, hours=2)

    before, after = old.reschedule(new_id, later, NOW)

    assert (before.status, before.rescheduled_to, before.version) == ("rescheduled", new_id, old.version + 1)
    assert after.appointment_id == new_id and after.rescheduled_from == old.appointment_id
    assert (after.start, after.end) == (later, later + timedelta(minutes=50))
    assert (after.status, after.payment_id, after.enrollment_id, after.video) == ("paid", PAYMENT, enrollment, MEETING)
    assert after.meeting_due == "update" and after.version == 1


def test_every_appointment_of_a_reschedule_chain_names_the_one_the_visit_was_booked_as():
    booked = paid()
    _, second = booked.reschedule(uuid.uuid4(), START + timedelta(days=1), NOW)
    _, third = second.reschedule(uuid.uuid4(), START + timedelta(days=2), NOW)

    assert booked.original_appointment_id is None
    assert second.original_appointment_id == third.original_appointment_id == booked.appointment_id
    assert third.change_provider(uuid.uuid4(), NOW).original_appointment_id == booked.appointment_id


def test_a_rescheduled_hold_keeps_its_expiry_and_its_pending_meeting_work():
    _, moved = held().reschedule(uuid.uuid4(), START + timedelta(days=1), NOW)
    assert moved.status == "pending_payment" and moved.hold_expires_at == held().hold_expires_at
    _, moved_paid = paid(meeting_due="create").reschedule(uuid.uuid4(), START + timedelta(days=1), NOW)
    assert moved_paid.meeting_due == "create"


def test_changing_to_the_same_specialist_is_refused():
    appointment = paid()
    with pytest.raises(TransitionRefused, match="already"):
        appointment.change_provider(appointment.provider_id, NOW)
    assert appointment.change_provider(uuid.uuid4(), NOW).meeting_due is None
    assert confirmed().change_provider(uuid.uuid4(), NOW).meeting_due == "update"


@pytest.mark.parametrize("command", ["complete", "no_show"])
def test_nobody_completes_or_misses_an_appointment_before_it_starts(command):
    with pytest.raises(TransitionRefused, match="not started"):
        getattr(paid(), command)(START - timedelta(minutes=1))
    assert getattr(paid(), command)(START).status == ("completed" if command == "complete" else "no_show")


@pytest.mark.parametrize("command", ["reschedule", "change_provider"])
def test_a_visit_that_has_started_is_not_moved(command):
    """It is completed or missed: moving it would free its paid session for a second visit."""
    move = {"reschedule": lambda a, now: a.reschedule(uuid.uuid4(), START + timedelta(days=7), now),
            "change_provider": lambda a, now: a.change_provider(uuid.uuid4(), now)}[command]

    with pytest.raises(TransitionRefused, match="has started"):
        move(paid(), START)
    assert move(paid(), START - timedelta(minutes=1))


def test_the_time_held_includes_the_buffers():
    appointment = held()
    assert appointment.occupied_from == START - timedelta(minutes=5)
    assert appointment.occupied_until == START + timedelta(minutes=60)


@pytest.mark.parametrize(("status", "holds"), [
    ("paid", True), ("completed", True), ("no_show", True),
    ("canceled", False), ("expired", False), ("rescheduled", False)])
def test_which_statuses_hold_time(status, holds):
    assert held(status=status).holds_time(NOW) is holds


def test_a_hold_holds_time_until_it_expires():
    appointment = held()
    assert appointment.holds_time(NOW + timedelta(minutes=14)) and not appointment.hold_overdue(NOW)
    assert not appointment.holds_time(NOW + timedelta(minutes=15))
    assert appointment.hold_overdue(NOW + timedelta(minutes=15))


@pytest.mark.parametrize("command", [
    lambda a, now: a.reschedule(uuid.uuid4(), START + timedelta(days=7), now),
    lambda a, now: a.change_provider(uuid.uuid4(), now),
], ids=["reschedule", "change_provider"])
def test_a_hold_past_its_expiry_is_not_moved_as_if_it_still_held_its_slot(command):
    overdue_at = NOW + timedelta(minutes=15)

    with pytest.raises(HoldExpired):
        command(held(), overdue_at)
    assert command(held(), overdue_at - timedelta(seconds=1))  # still alive a second before
