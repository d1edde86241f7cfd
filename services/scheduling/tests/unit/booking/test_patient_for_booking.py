"""Who a booking by contact details is for (scheduling.service_layer.patients.patient_for_booking):
a booking never takes over a record its booker has not proved is theirs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from clinic_runtime.refusals import Conflict
from scheduling.domain.appointments import Actor
from scheduling.domain.patients import Contact, Patient, new_patient
from scheduling.service_layer.patients import PatientDetails, patient_for_booking

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
ACCOUNT = uuid.UUID("0190f3b0-0000-7000-8000-00000000bbbb")
INTRUDER = uuid.UUID("0190f3b0-0000-7000-8000-00000000cccc")
MARIA = PatientDetails("Maria Ionescu", "maria@example.ro", "+40722000111")
SIGNUP = (True, "sms-2026-01")


class FakePatients:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Patient] = {}
        self.asked: list[tuple[str, object]] = []  # the registrations held and the lookups, in order

    def get(self, clinic_id, patient_id):
        return self.rows.get(patient_id)

    held_for_change = get

    def with_email(self, clinic_id, email):
        self.asked.append(("with email", email))
        return [p for p in self.rows.values() if p.email.casefold() == email.casefold()]

    def hold_registration(self, clinic_id, *, account_id=None, email=None):
        self.asked.append(("hold", account_id or email))

    def add(self, patient):
        self.rows[patient.patient_id] = patient

    save = add

    def page(self, clinic_id, *, query, account_id, after, limit):
        self.asked.append(("linked to", account_id))
        return [p for p in self.rows.values() if account_id is None or p.account_id == account_id][:limit]


class FakeAudit:
    def __init__(self) -> None:
        self.entries: list = []

    def record(self, entry):
        self.entries.append(entry)


class FakeClinics:
    def get(self, clinic_id):
        return None


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.patients, self.appointments, self.clinics = FakePatients(), FakeAudit(), FakeClinics()
        self.published: list = []

    def publish(self, event, *, clinic_id):
        self.published.append(event)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def on_record(uow, account_id=None) -> Patient:
    patient = new_patient(CLINIC_ID, uuid.uuid4(), Contact("Maria Ionescu", "maria@example.ro", "+40712345678"),
                          account_id=account_id, consent=(False, "sms-2025-01"), now=NOW)
    uow.patients.add(patient)
    return patient


def booking(uow, actor, details=MARIA, **fields) -> Patient:
    return patient_for_booking(uow, CLINIC_ID, patient_id=None, details=details, consent=SIGNUP, actor=actor,
                               now=NOW, **fields)


def test_a_guest_naming_a_known_patient_books_for_them_and_changes_nothing_on_the_record(uow):
    known = on_record(uow)

    patient = booking(uow, Actor("patient"))

    assert patient.patient_id == known.patient_id
    assert uow.patients.rows[known.patient_id] == known
    assert uow.published == []


def test_a_signed_in_patient_never_takes_over_an_unlinked_record_with_their_name_and_email(uow):
    known = on_record(uow)

    patient = booking(uow, Actor("patient", INTRUDER))

    assert patient.patient_id != known.patient_id and patient.account_id == INTRUDER
    assert patient.sms_consent.given is True and patient.mobile == "+40722000111"
    assert uow.patients.rows[known.patient_id] == known
    assert [event.patient_id for event in uow.published] == [patient.patient_id]


def test_a_signed_in_patient_books_for_the_record_linked_to_their_account(uow):
    own = on_record(uow, account_id=ACCOUNT)

    patient = booking(uow, Actor("patient", ACCOUNT), details=PatientDetails("M. Ionescu", "m@example.ro", None))

    assert patient.patient_id == own.patient_id and patient.sms_consent.given is True
    assert (patient.name, patient.email, patient.mobile) == (own.name, own.email, own.mobile)


def test_a_signed_in_patient_without_a_record_and_no_room_left_is_refused(uow):
    on_record(uow)

    with pytest.raises(Conflict):
        booking(uow, Actor("patient", INTRUDER), new_patient_allowed=False)


def test_staff_booking_for_a_known_patient_update_their_mobile_and_consent(uow):
    known = on_record(uow)

    patient = booking(uow, Actor("staff", uuid.uuid4()))

    assert patient.patient_id == known.patient_id and patient.version == 2
    assert patient.mobile == "+40722000111" and patient.sms_consent.given is True
    assert patient.account_id is None
    assert len(uow.appointments.entries) == 1


def test_a_signed_in_patient_holds_their_account_before_looking_for_its_record(uow):
    booking(uow, Actor("patient", ACCOUNT))

    assert uow.patients.asked[:2] == [("hold", ACCOUNT), ("linked to", ACCOUNT)]


@pytest.mark.parametrize("actor", [Actor("patient"), Actor("staff", uuid.uuid4())], ids=["guest", "staff"])
def test_a_booking_without_an_account_holds_the_email_before_looking_for_a_patient_with_it(uow, actor):
    booking(uow, actor)

    assert uow.patients.asked[:2] == [("hold", MARIA.email), ("with email", MARIA.email)]


def test_a_booking_naming_a_patient_id_holds_no_registration(uow):
    known = on_record(uow)

    patient = patient_for_booking(uow, CLINIC_ID, patient_id=known.patient_id, details=None, consent=SIGNUP,
                                  actor=Actor("staff", uuid.uuid4()), now=NOW)

    assert patient.patient_id == known.patient_id
    assert uow.patients.asked == []
