"""A booking at the gateway: its token, its appointment id, what the patient sees, and the
reservation kept or released around the hold (scheduling and entitlements are fakes here)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from gateway.adapters.upstream import Refused, Reply, ServiceUnavailable
from gateway.domain.bookings import (
    BOOKING_TOKEN_AFTER_END,
    appointment_id_for,
    booking_token_expiry,
    payment_of,
    shown_to,
    video_for_patient,
)
from gateway.domain.principal import AccountKind
from gateway.domain.tokens import TokenCodec, TokenExpired, TokenRefused
from gateway.service_layer.bookings import Hold, book

KEY = "k" * 40
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
CLINIC, BOOKING, ENROLLMENT, PATIENT, SERVICE = (uuid.uuid4() for _ in range(5))
PRICE = {"amount_minor": 20000, "currency": "RON"}
BODY = {"appointment_id": str(BOOKING), "service_id": str(SERVICE), "start": "2026-04-01T10:00:00+03:00"}
VIDEO = {"provider": "sandbox", "meeting_id": "m-1", "join_url": "https://video.example/j/1",
         "host_url": "https://video.example/h/1"}


# -- the booking token ------------------------------------------------------------------------


def test_a_booking_token_names_its_booking_and_clinic_until_it_expires():
    codec = TokenCodec(KEY)
    token, claims = codec.booking_token(BOOKING, CLINIC, NOW + timedelta(days=3), NOW)

    read = codec.read_booking_token(token, NOW + timedelta(days=2))

    assert (read.booking_id, read.clinic_id) == (BOOKING, CLINIC) == (claims.booking_id, claims.clinic_id)
    with pytest.raises(TokenExpired):
        codec.read_booking_token(token, NOW + timedelta(days=3))


def test_a_booking_token_is_no_login_and_a_login_token_is_no_booking_token():
    codec = TokenCodec(KEY)
    booking, _ = codec.booking_token(BOOKING, CLINIC, NOW + timedelta(days=3), NOW)
    login, _ = codec.access_token(uuid.uuid4(), AccountKind.PATIENT, CLINIC, uuid.uuid4(), False, NOW)

    with pytest.raises(TokenRefused):
        codec.read_access_token(booking, NOW)
    with pytest.raises(TokenRefused):
        codec.read_booking_token(login, NOW)


def test_a_booking_token_signed_with_another_key_is_refused():
    token, _ = TokenCodec("o" * 40).booking_token(BOOKING, CLINIC, NOW + timedelta(days=3), NOW)

    with pytest.raises(TokenRefused):
        TokenCodec(KEY).read_booking_token(token, NOW)


def test_the_token_lasts_thirty_days_after_the_appointment_ends():
    end = datetime(2026, 4, 1, 10, 50, tzinfo=UTC)

    assert booking_token_expiry(end) == end + BOOKING_TOKEN_AFTER_END == datetime(2026, 5, 1, 10, 50, tzinfo=UTC)


# -- the appointment's id ---------------------------------------------------------------------


def test_a_repeated_idempotency_key_names_the_same_appointment():
    first = appointment_id_for(CLINIC, "account-1", "key-1")

    assert appointment_id_for(CLINIC, "account-1", "key-1") == first
    assert appointment_id_for(CLINIC, "account-2", "key-1") != first
    assert appointment_id_for(uuid.uuid4(), "account-1", "key-1") != first


def test_without_a_key_every_booking_gets_a_fresh_time_ordered_id():
    ids = [appointment_id_for(CLINIC, "", None) for _ in range(3)]

    assert len(set(ids)) == 3
    assert {i.version for i in ids} == {7}


# -- what the patient sees --------------------------------------------------------------------


def test_the_patient_gets_the_join_link_once_paid_and_never_the_host_link():
    assert video_for_patient({"status": "paid", "video": VIDEO}) == {"join_url": VIDEO["join_url"]}
    assert video_for_patient({"status": "pending_payment", "video": VIDEO}) is None
    assert video_for_patient({"status": "canceled", "video": VIDEO}) is None
    assert video_for_patient({"status": "paid", "video": None}) is None


def test_only_the_appointments_own_specialist_gets_the_host_link():
    sams, sofias = uuid.uuid4(), uuid.uuid4()
    appointment = {"provider_id": str(sams), "status": "paid", "video": VIDEO}

    assert shown_to(appointment, sams) == appointment
    for someone_else in (sofias, None):
        assert shown_to(appointment, someone_else)["video"] == {
            name: value for name, value in VIDEO.items() if name != "host_url"}
    assert shown_to({**appointment, "video": None}, None)["video"] is None


def test_payment_awaits_billing_with_the_price_to_pay():
    assert payment_of({"price": PRICE}) == {"status": "awaiting_billing", "amount": PRICE}


# -- reserve, hold, release -------------------------------------------------------------------


class FakeScheduling:
    def __init__(self, answer: Exception | None = None, held: dict | None = None, price: dict = PRICE,
                 settle_fails: bool = False, made_as: str | None = None) -> None:
        self.answer = answer
        self.made_as = made_as  # the status of the appointment an earlier attempt made with this id
        self.held = held  # an appointment already made with the hold's id
        self.price = price
        self.settle_fails = settle_fails
        self.holds: list[tuple[uuid.UUID, dict, str | None]] = []
        self.settled: list[uuid.UUID] = []

    def read(self, clinic_id, entry, params=None) -> Reply:
        if self.held is None or entry != f"/appointments/{self.held['appointment_id']}":
            raise Refused("scheduling", Reply(404, {"type": "https://errors.clinic.example/not-found"}))
        return Reply(200, self.held)

    def create(self, clinic_id, entry, body, idempotency_key, if_match=None) -> Reply:
        if entry.endswith("/settle"):
            if self.settle_fails:
                raise ServiceUnavailable("scheduling", "timeout")
            self.settled.append(uuid.UUID(entry.split("/")[2]))
            return Reply(200, {**self.holds[-1][1], "status": "paid"})
        assert entry == "/appointments"
        if self.answer is not None:
            raise self.answer
        self.holds.append((clinic_id, body, idempotency_key))
        if self.made_as is not None:
            return Reply(200, {"enrollment_id": None, **body, "status": self.made_as, "price": self.price})
        return Reply(201, {"enrollment_id": None, **body, "status": "pending_payment", "price": self.price})


class FakeReservations:
    def __init__(self, refuse: bool = False, release_fails: bool = False, replayed: bool = False,
                 status: str = "reserved") -> None:
        self.refuse = refuse
        self.status = status  # of the reservation entitlements answers with
        self.release_fails = release_fails
        self.replayed = replayed  # a reservation for the appointment existed: entitlements answers 200
        self.reserved: list[tuple[uuid.UUID, ...]] = []
        self.released: list[uuid.UUID] = []

    def reserve(self, clinic_id, enrollment_id, appointment_id, patient_id, service_id) -> Reply:
        if self.refuse:
            raise Refused("entitlements", Reply(409, {"type": "https://errors.clinic.example/no-sessions-left"}))
        self.reserved.append((enrollment_id, appointment_id, patient_id, service_id))
        return Reply(200 if self.replayed else 201, {"status": self.status})

    def release(self, clinic_id, appointment_id) -> None:
        if self.release_fails:
            raise ServiceUnavailable("entitlements", "timeout")
        self.released.append(appointment_id)


def hold(enrollment: uuid.UUID | None = ENROLLMENT) -> Hold:
    body = {**BODY, "enrollment_id": str(enrollment)} if enrollment else BODY
    return Hold(CLINIC, BOOKING, body, "forwarded-key", enrollment, PATIENT if enrollment else None)


def slot_taken() -> Refused:
    return Refused("scheduling", Reply(409, {"type": "https://errors.clinic.example/slot-taken"}))


def test_a_booking_with_an_enrollment_reserves_a_session_for_the_appointment_then_holds():
    scheduling, reservations = FakeScheduling(), FakeReservations()

    reply = book(scheduling, reservations, hold())

    assert reservations.reserved == [(ENROLLMENT, BOOKING, PATIENT, SERVICE)]
    assert scheduling.holds == [(CLINIC, hold().body, "forwarded-key")]
    assert reply.status == 201 and reservations.released == []


def test_a_session_of_an_enrollment_pays_for_the_booking_so_it_is_settled_at_once():
    scheduling = FakeScheduling()

    reply = book(scheduling, FakeReservations(), hold())

    assert scheduling.settled == [BOOKING] and reply.body["status"] == "paid"


def test_a_free_service_is_settled_at_once_and_a_priced_one_waits_for_its_payment():
    free, priced = FakeScheduling(price={"amount_minor": 0, "currency": "RON"}), FakeScheduling()

    book(free, FakeReservations(), hold(enrollment=None))
    reply = book(priced, FakeReservations(), hold(enrollment=None))

    assert free.settled == [BOOKING] and priced.settled == []
    assert reply.body["status"] == "pending_payment"


def test_a_settlement_that_fails_answers_with_the_hold_which_then_expires_like_an_unpaid_one():
    reservations = FakeReservations()

    reply = book(FakeScheduling(settle_fails=True), reservations, hold())

    assert reply.status == 201 and reply.body["status"] == "pending_payment"
    assert reservations.released == []


def test_a_booking_without_an_enrollment_reserves_nothing():
    reservations = FakeReservations()

    book(FakeScheduling(), reservations, hold(enrollment=None))

    assert reservations.reserved == [] and reservations.released == []


def test_when_no_session_is_left_nothing_is_held():
    scheduling = FakeScheduling()

    with pytest.raises(Refused):
        book(scheduling, FakeReservations(refuse=True), hold())

    assert scheduling.holds == []


def test_a_reservation_answered_as_released_holds_nothing():
    scheduling = FakeScheduling()

    with pytest.raises(Refused) as refused:
        book(scheduling, FakeReservations(replayed=True, status="released"), hold())

    assert refused.value.reply.status == 409
    assert refused.value.reply.body["type"].endswith("/reservation-not-held")
    assert scheduling.holds == []


@pytest.mark.parametrize("status", ["expired", "canceled", "rescheduled"])
def test_a_retry_answered_with_an_appointment_that_holds_no_time_gives_back_the_session_it_took(status):
    """The first attempt failed without an answer, its hold then ended; the retry's reservation
    pays for nothing and must not wait 30 minutes for entitlements' timer."""
    scheduling, reservations = FakeScheduling(made_as=status), FakeReservations()

    reply = book(scheduling, reservations, hold())

    assert reply.body["status"] == status
    assert reservations.released == [BOOKING] and scheduling.settled == []


def test_a_retry_answered_with_its_live_hold_keeps_the_session():
    reservations = FakeReservations()

    book(FakeScheduling(made_as="pending_payment"), reservations, hold())

    assert reservations.released == []


def test_a_refused_hold_releases_the_reservation():
    reservations = FakeReservations()

    with pytest.raises(Refused):
        book(FakeScheduling(slot_taken()), reservations, hold())

    assert reservations.released == [BOOKING]


def test_a_hold_without_an_answer_keeps_the_reservation_because_the_hold_may_exist():
    reservations = FakeReservations()

    with pytest.raises(ServiceUnavailable):
        book(FakeScheduling(ServiceUnavailable("scheduling", "timeout")), reservations, hold())

    assert reservations.released == []


def test_a_release_that_fails_still_answers_with_the_holds_refusal():
    with pytest.raises(Refused) as refused:
        book(FakeScheduling(slot_taken()), FakeReservations(release_fails=True), hold())

    assert refused.value.reply.status == 409


def test_a_request_racing_another_with_the_same_key_answers_with_the_appointment_it_made():
    made = {**BODY, "start": "2026-04-01T07:00:00+00:00", "status": "pending_payment"}
    reservations = FakeReservations()

    reply = book(FakeScheduling(slot_taken(), held=made), reservations, hold())

    assert reply.body == made
    assert reservations.released == []  # the reservation is the appointment's, shared by both


def test_an_appointment_of_the_same_id_for_another_time_is_no_answer():
    made = {**BODY, "start": "2026-04-01T11:00:00+03:00"}
    reservations = FakeReservations()

    with pytest.raises(Refused):
        book(FakeScheduling(slot_taken(), held=made), reservations, hold())

    assert reservations.released == [BOOKING]


def test_without_a_key_a_taken_slot_is_never_taken_for_ones_own():
    request = Hold(CLINIC, BOOKING, BODY, None, None, None)

    with pytest.raises(Refused):
        book(FakeScheduling(slot_taken(), held={**BODY}), FakeReservations(), request)


def test_a_refusal_that_the_appointment_exists_never_releases_its_reservation():
    """Two requests with one key and different bodies: the loser's refusal must not free the
    winner's session (the appointment id, and the reservation, are the winner's)."""
    exists = Refused("scheduling", Reply(409, {"type": "https://errors.clinic.example/appointment-exists"}))
    reservations = FakeReservations()

    with pytest.raises(Refused):
        book(FakeScheduling(exists), reservations, hold())

    assert reservations.released == []


def test_a_reservation_this_call_did_not_make_is_not_released_by_it():
    reservations = FakeReservations(replayed=True)

    with pytest.raises(Refused):
        book(FakeScheduling(slot_taken()), reservations, hold())

    assert reservations.released == []
