"""A hold's end: paid (then confirmed with its video meeting), expired by the worker, or freed by
a failed payment; and a payment that arrives after its hold expired. PostgreSQL and SQLite."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from threading import Barrier

import pytest
import sqlalchemy as sa

from scheduling.adapters.orm import appointments
from scheduling.adapters.video import SandboxMeetings, VideoUnavailable
from scheduling.entrypoints.consumers import handlers
from scheduling.service_layer.appointments import PaymentForUnknownAppointment

from .conftest import ANA, CLINIC, at, next_monday

pytestmark = pytest.mark.integration
PAID = "scheduling.appointment.paid.v1"
CONFIRMED = "scheduling.appointment.confirmed.v1"
EXPIRED = "scheduling.appointment.expired.v1"
REFUND_DUE = "scheduling.appointment.refund_due.v1"


@pytest.fixture
def hold(book):
    return book(at(next_monday(), "09:00"), provider_id=ANA).get_json()


@pytest.fixture
def read(client):
    return lambda appointment_id: client.get(f"/clinics/{CLINIC}/appointments/{appointment_id}").get_json()


class FlakyVideo:
    """A provider that fails its first `failures` calls, then makes sandbox-like meetings."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.created = 0

    def create(self, request):
        if self.failures:
            self.failures -= 1
            raise VideoUnavailable("zoom: HTTP 503")
        self.created += 1
        return SandboxMeetings("https://video.test").create(request)


def test_scheduling_consumes_billings_payment_outcomes():
    assert {"billing.payment.succeeded.v1", "billing.payment.failed.v1"} <= set(handlers.event_types)


def test_a_succeeded_payment_makes_it_paid_and_the_meetings_job_confirms_it_with_a_meeting(
        hold, pay, read, meetings, published):
    payment_id = pay(hold["appointment_id"])

    paid = read(hold["appointment_id"])
    assert paid["status"] == "paid" and paid["payment_id"] == str(payment_id)
    assert paid["video"] is None and published(CONFIRMED) == []

    assert meetings() == 1

    confirmed = read(hold["appointment_id"])
    assert confirmed["video"]["join_url"].startswith("https://video.test/j/")
    assert confirmed["confirmed_at"] is not None
    [event] = published(CONFIRMED)
    assert event["payment_id"] == str(payment_id)
    assert event["video"] == confirmed["video"]
    assert event["appointment"]["status"] == "paid"


def test_a_succeeded_payment_is_announced_at_once_without_waiting_for_the_meeting(hold, pay, read, published):
    payment_id = pay(hold["appointment_id"], payment_id=uuid.uuid4())
    pay(hold["appointment_id"], payment_id=payment_id)  # billing reports it again

    [event] = published(PAID)
    assert event["payment_id"] == str(payment_id) and event["actor"]["kind"] == "system"
    assert event["appointment"]["status"] == "paid"
    assert event["appointment"]["version"] == read(hold["appointment_id"])["version"]
    assert published(CONFIRMED) == []  # no meeting yet


def test_the_meetings_job_makes_one_meeting_however_often_it_runs(hold, pay, meetings, published):
    pay(hold["appointment_id"])

    assert meetings() == 1
    assert meetings() == 0

    assert len(published(CONFIRMED)) == 1


def test_a_video_outage_leaves_the_meeting_due_and_it_is_made_once_the_provider_is_back(
        hold, pay, meetings, published, read, sessions):
    pay(hold["appointment_id"])
    video = FlakyVideo(failures=1)

    assert meetings(video) == 0
    assert published(CONFIRMED) == [] and read(hold["appointment_id"])["status"] == "paid"
    with sessions.begin() as session:  # the lease ends
        session.execute(sa.update(appointments).where(
            appointments.c.appointment_id == uuid.UUID(hold["appointment_id"]),
        ).values(meeting_claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert meetings(video) == 1

    assert video.created == 1 and len(published(CONFIRMED)) == 1


def test_the_same_payment_delivered_again_changes_nothing(hold, pay, read):
    payment_id = pay(hold["appointment_id"])
    version = read(hold["appointment_id"])["version"]

    pay(hold["appointment_id"], payment_id=payment_id)

    assert read(hold["appointment_id"])["version"] == version


def test_a_failed_payment_expires_the_hold_and_frees_the_slot(hold, pay, read, published, book):
    pay(hold["appointment_id"], succeeded=False)

    expired = read(hold["appointment_id"])
    assert expired["status"] == "expired" and expired["expired_reason"] == "payment_failed"
    [event] = published(EXPIRED)
    assert event["reason"] == "payment_failed"
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 201


def test_the_worker_expires_abandoned_holds_once_and_frees_their_slots(hold, overdue, sweep, read, published, book):
    assert sweep() == 0  # not yet due
    overdue(hold["appointment_id"])

    assert sweep() == 1
    assert sweep() == 0

    assert read(hold["appointment_id"])["status"] == "expired"
    [event] = published(EXPIRED)
    assert event["reason"] == "hold_expired" and event["actor"]["kind"] == "system"
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 201


def test_a_payment_after_the_hold_expired_holds_the_slot_again_when_it_is_still_free(
        hold, overdue, sweep, pay, read, meetings, published):
    overdue(hold["appointment_id"])
    sweep()

    pay(hold["appointment_id"])

    assert read(hold["appointment_id"])["status"] == "paid"
    [paid] = published(PAID)
    assert paid["appointment"]["status"] == "paid"
    meetings()
    assert len(published(CONFIRMED)) == 1 and published(REFUND_DUE) == []


def test_a_payment_after_the_hold_expired_and_the_slot_was_taken_is_due_a_refund(
        hold, overdue, sweep, pay, read, published, book):
    overdue(hold["appointment_id"])
    sweep()
    assert book(at(next_monday(), "09:00"), provider_id=ANA).status_code == 201

    payment_id = pay(hold["appointment_id"])

    assert read(hold["appointment_id"])["status"] == "expired" and published(PAID) == []
    [refund] = published(REFUND_DUE)
    assert refund["reason"] == "slot_taken_after_hold_expired"
    assert refund["payment_id"] == str(payment_id)
    assert refund["amount"] == {"amount_minor": 20000, "currency": "RON"}


@pytest.mark.parametrize("hold_expired", [False, True])
def test_a_payment_that_arrives_after_the_appointment_started_is_refunded_not_taken(
        hold, sessions, sweep, pay, read, published, hold_expired):
    """However long its hold (HOLD_MINUTES may exceed the minimum notice), a visit whose time has
    come is not paid for: nobody can attend it any more."""
    started = datetime.now(UTC) - timedelta(minutes=10)
    with sessions.begin() as session:
        session.execute(sa.update(appointments).where(
            appointments.c.appointment_id == uuid.UUID(hold["appointment_id"])).values(
            start_at=started, end_at=started + timedelta(minutes=50), occupied_from=started - timedelta(minutes=5),
            occupied_until=started + timedelta(minutes=60),
            hold_expires_at=datetime.now(UTC) + timedelta(minutes=-1 if hold_expired else 5)))
    if hold_expired:
        assert sweep() == 1

    payment_id = pay(hold["appointment_id"])

    assert read(hold["appointment_id"])["status"] == ("expired" if hold_expired else "pending_payment")
    [refund] = published(REFUND_DUE)
    assert (refund["payment_id"], refund["reason"]) == (str(payment_id), "appointment_no_longer_payable")
    assert published(CONFIRMED) == []


def test_a_payment_for_a_canceled_appointment_is_due_a_refund(hold, client, pay, published):
    client.post(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}/cancel",
                json={"reason": "changed my mind", "actor": {"kind": "patient"}})

    pay(hold["appointment_id"])

    [refund] = published(REFUND_DUE)
    assert refund["reason"] == "appointment_no_longer_payable"


def test_two_workers_sweeping_at_once_expire_each_hold_once(book, overdue, sweep, published):
    monday = next_monday()
    holds = [book(at(monday, start), provider_id=ANA).get_json() for start in ("09:00", "10:40")]
    for hold_ in holds:
        overdue(hold_["appointment_id"])
    barrier = Barrier(2)

    def worker(_):
        barrier.wait()
        return sweep()

    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(worker, range(2)))

    assert sum(counts) == 2
    assert sorted(event["appointment"]["appointment_id"] for event in published(EXPIRED)) == sorted(
        hold_["appointment_id"] for hold_ in holds)


def test_a_booking_on_an_enrollment_is_settled_without_payment_and_confirmed(book, client, meetings, published):
    enrollment = "0190f3d0-0000-7000-8000-000000000001"
    booked = book(at(next_monday(), "09:00"), provider_id=ANA, enrollment_id=enrollment).get_json()
    assert booked["enrollment_id"] == enrollment

    settled = client.post(f"/clinics/{CLINIC}/appointments/{booked['appointment_id']}/settle",
                          json={"actor": {"kind": "system"}})
    [paid] = published(PAID)  # at once: the enrollment's session is used before any meeting exists
    meetings()

    assert settled.status_code == 200 and settled.get_json()["status"] == "paid"
    assert paid["payment_id"] is None and paid["appointment"]["enrollment_id"] == enrollment
    [confirmed] = published(CONFIRMED)
    assert confirmed["payment_id"] is None and confirmed["appointment"]["enrollment_id"] == enrollment
    assert confirmed["video"] is not None


def test_a_booking_with_a_price_due_is_not_settled_without_payment(hold, client):
    response = client.post(f"/clinics/{CLINIC}/appointments/{hold['appointment_id']}/settle")

    assert response.status_code == 409


def test_a_payment_for_an_appointment_the_clinic_does_not_have_is_refused_for_the_dead_letter_queue(
        book, pay, published, directory):
    """Acknowledged, it would leave a patient charged with nothing asking for a refund."""
    held = book(at(next_monday(), "09:00"), provider_id=ANA).get_json()

    before = directory.count("inbox")
    with pytest.raises(PaymentForUnknownAppointment):
        pay(str(uuid.uuid4()))
    with pytest.raises(PaymentForUnknownAppointment):
        pay(held["appointment_id"], clinic_id=uuid.uuid4())

    assert directory.count("inbox") == before
    assert published(REFUND_DUE) == []
