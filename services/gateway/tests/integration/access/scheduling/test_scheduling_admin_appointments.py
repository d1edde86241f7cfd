"""A clinic's appointments and patients through the gateway, for its staff and specialists:
bookings by phone, lists with filters, the commands, the audit trail, and a specialist's own
schedule (never anyone else's)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PATIENT = {"name": "Ioana Pop", "email": "ioana.pop@example.com", "mobile": "+40722123456"}


def by_phone(world, start: str, provider, member=None, **changes):
    body = {"service_id": world.service["id"], "start": start, "provider_id": provider["id"], "patient": PATIENT,
            **changes}
    return world.gateway.post(world.admin_path + "/appointments", json=body,
                              headers=(member or world.clinic.receptionist).headers)


DAN = {"name": "Dan Marin", "email": "dan.marin@example.com", "mobile": "+40722999888"}


def booked(world, start: str, provider, **changes) -> dict:
    response = by_phone(world, start, provider, **changes)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def ids(appointments: list[dict]) -> list[str]:
    return [a["appointment_id"] for a in appointments]


# -- booking by phone and reading ----------------------------------------------------------


def test_the_receptionist_books_by_phone_through_the_public_bookings_path(booking_clinic):
    world = booking_clinic()
    rita = world.clinic.receptionist

    response = by_phone(world, world.at("10:00"), world.sam)

    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert (answer["status"], answer["payment"]["status"]) == ("pending_payment", "awaiting_billing")
    assert response.headers["Location"] == f"{world.admin_path}/appointments/{answer['booking_id']}"
    held = world.call("GET", f"/appointments/{answer['booking_id']}", rita)
    assert held["booked_by"] == {"kind": "staff", "account_id": str(rita.account_id)}
    assert world.gateway.get(f"/v1/bookings/{answer['booking_id']}",
                             headers={"Authorization": f"Bearer {answer['access_token']}"}).status_code == 200


def test_a_booking_by_phone_for_a_known_patient_and_the_slot_it_takes(booking_clinic, problem_of):
    world = booking_clinic()
    first = booked(world, world.at("10:00"), world.sam)

    again = by_phone(world, world.at("10:00"), world.sam, patient=None, patient_id=first["patient_id"])
    later = by_phone(world, world.at("11:00"), world.sam, patient=None, patient_id=first["patient_id"])

    assert again.status_code == 409 and problem_of(again)["type"].endswith("/slot-taken")
    assert later.status_code == 201 and later.get_json()["patient_id"] == first["patient_id"]


def test_a_patient_may_not_book_through_the_staff_route(booking_clinic, problem_of):
    world = booking_clinic()

    response = by_phone(world, world.at("10:00"), world.sam, member=world.clinic.patient)

    assert response.status_code == 403
    assert problem_of(response)["permission"] == "appointments.book"


def test_the_list_filters_by_specialist_status_and_day(booking_clinic):
    world = booking_clinic()
    admin = world.clinic.admin
    sams = booked(world, world.at("09:00"), world.sam)
    sofias = booked(world, world.at("09:00"), world.sofia)
    canceled = booked(world, world.at("11:00"), world.sofia)
    world.call("POST", f"/appointments/{canceled['booking_id']}/cancel", admin, json={"reason": "Patient called"})

    def listed(**filters) -> list[str]:
        return ids(world.call("GET", "/appointments", admin, query_string=filters)["appointments"])

    day = world.day.isoformat()
    assert listed(provider_id=world.sam["id"]) == [sams["booking_id"]]
    assert listed(status="pending_payment") == [sams["booking_id"], sofias["booking_id"]]
    assert listed(status="canceled", service_id=world.service["id"]) == [canceled["booking_id"]]
    assert set(listed(**{"from": day, "to": day})) == {sams["booking_id"], sofias["booking_id"], canceled["booking_id"]}
    first_page = world.call("GET", "/appointments", admin, query_string={"limit": 2})
    assert len(first_page["appointments"]) == 2 and first_page["next_cursor"]


# -- the commands -----------------------------------------------------------------------------


def test_cancel_reschedule_and_provider_change_each_answered_by_scheduling(booking_clinic):
    world = booking_clinic()
    rita = world.clinic.receptionist
    first = booked(world, world.at("09:00"), world.sam)

    moved = world.gateway.post(f"{world.admin_path}/appointments/{first['booking_id']}/reschedule",
                               headers=rita.headers, json={"start": world.at("10:30")})
    assert moved.status_code == 201, moved.get_data(as_text=True)
    new = moved.get_json()
    assert new["rescheduled_from"] == first["booking_id"]
    assert moved.headers["Location"] == f"{world.admin_path}/appointments/{new['appointment_id']}"

    changed = world.call("POST", f"/appointments/{new['appointment_id']}/provider", rita,
                         json={"provider_id": world.sofia["id"]})
    assert changed["provider_id"] == world.sofia["id"]

    canceled = world.call("POST", f"/appointments/{new['appointment_id']}/cancel", rita,
                          headers={"If-Match": f'"{changed["version"]}"'}, json={"reason": "Patient is ill"})
    assert canceled["status"] == "canceled"
    assert canceled["cancellation"]["actor"] == {"kind": "staff", "account_id": str(rita.account_id)}


def test_a_stale_if_match_is_refused_and_changes_nothing(booking_clinic, problem_of):
    world = booking_clinic()
    first = booked(world, world.at("09:00"), world.sam)

    response = world.gateway.post(f"{world.admin_path}/appointments/{first['booking_id']}/cancel",
                                  headers={**world.clinic.admin.headers, "If-Match": '"7"'}, json={"reason": "x"})

    assert response.status_code == 412
    assert world.call("GET", f"/appointments/{first['booking_id']}", world.clinic.admin)["status"] == "pending_payment"


def test_a_hold_cannot_be_completed_or_marked_no_show(booking_clinic, problem_of):
    world = booking_clinic()
    first = booked(world, world.at("09:00"), world.sam)

    for command in ("complete", "no-show"):
        response = world.gateway.post(f"{world.admin_path}/appointments/{first['booking_id']}/{command}",
                                      headers=world.clinic.admin.headers)
        assert response.status_code == 409, response.get_data(as_text=True)
        assert problem_of(response)["type"].endswith("/invalid-transition")


def test_the_audit_trail_names_each_staff_change_with_its_actor(booking_clinic):
    world = booking_clinic()
    rita = world.clinic.receptionist
    first = booked(world, world.at("09:00"), world.sam)
    world.call("POST", f"/appointments/{first['booking_id']}/cancel", rita, json={"reason": "Patient called"})

    entries = world.call("GET", "/scheduling-audit", world.clinic.admin,
                         query_string={"appointment_id": first["booking_id"]})["entries"]

    assert [e["actor"] for e in entries] == [{"kind": "staff", "account_id": str(rita.account_id)}] * len(entries)
    assert entries[-1]["after"]["status"] == "canceled"


# -- a specialist's own ---------------------------------------------------------------------


def test_a_specialist_sees_their_own_schedule_and_never_another_specialists(booking_clinic):
    world = booking_clinic()
    sam = world.clinic.specialist
    mine = booked(world, world.at("09:00"), world.sam)
    theirs = booked(world, world.at("09:00"), world.sofia)

    schedule = world.call("GET", "/my/schedule", sam)["appointments"]
    listed = world.call("GET", "/appointments", sam)["appointments"]
    asked_for_sofias = world.call("GET", "/appointments", sam, query_string={"provider_id": world.sofia["id"]})

    assert ids(schedule) == ids(listed) == [mine["booking_id"]]
    assert asked_for_sofias["appointments"] == []
    assert theirs["booking_id"] not in str(schedule) + str(listed)
    assert ids(world.call("GET", "/my/schedule", world.clinic.other_specialist)["appointments"]) == [
        theirs["booking_id"]]


def test_a_specialist_reads_and_manages_their_own_appointment_but_not_anothers(booking_clinic, scheduling,
                                                                             problem_of):
    world = booking_clinic()
    sam = world.clinic.specialist
    mine = booked(world, world.at("09:00"), world.sam)
    scheduling.paid(world.clinic.id, mine["booking_id"])
    theirs = booked(world, world.at("09:00"), world.sofia, patient={
        "name": "Dan Marin", "email": "dan.marin@example.com", "mobile": "+40722999888"})

    read_theirs = world.gateway.get(f"{world.admin_path}/appointments/{theirs['booking_id']}", headers=sam.headers)
    cancel_theirs = world.gateway.post(f"{world.admin_path}/appointments/{theirs['booking_id']}/cancel",
                                       headers=sam.headers, json={"reason": "not mine"})
    patient_of_theirs = world.gateway.get(f"{world.admin_path}/patients/{theirs['patient_id']}", headers=sam.headers)

    assert [r.status_code for r in (read_theirs, cancel_theirs, patient_of_theirs)] == [403, 403, 403]
    assert problem_of(cancel_theirs)["permission"] == "appointments.manage"
    assert world.call("GET", f"/appointments/{theirs['booking_id']}", world.clinic.admin)["status"] == \
        "pending_payment"
    assert world.call("GET", f"/appointments/{mine['booking_id']}", sam)["provider_id"] == world.sam["id"]
    assert world.call("GET", f"/patients/{mine['patient_id']}", sam)["name"] == PATIENT["name"]
    assert world.call("POST", f"/appointments/{mine['booking_id']}/cancel", sam,
                      json={"reason": "I am ill"})["cancellation"]["actor"]["kind"] == "provider"


def test_an_unpaid_hold_with_a_specialist_does_not_make_the_patient_theirs(booking_clinic, scheduling):
    """Anyone can hold a visit with nothing but a patient's name and address: the specialist too,
    who would then read the patient's whole record."""
    world = booking_clinic()
    sam = world.clinic.specialist
    dan = world.call("POST", "/patients", world.clinic.receptionist, expect=201, json=DAN)
    world.book(world.booking(world.at("11:00"), world.sam, patient={"name": DAN["name"], "email": DAN["email"]},
                             sms_consent=None))
    [hold] = world.call("GET", "/my/schedule", sam)["appointments"]

    held = world.gateway.get(f"{world.admin_path}/patients/{dan['patient_id']}", headers=sam.headers)
    world.call("POST", f"/appointments/{hold['appointment_id']}/cancel", sam, json={"reason": "a test"})
    canceled = world.gateway.get(f"{world.admin_path}/patients/{dan['patient_id']}", headers=sam.headers)

    assert hold["patient_id"] == dan["patient_id"]
    assert (held.status_code, canceled.status_code) == (403, 403)


def test_a_specialist_may_not_hand_their_appointment_to_another_specialist(booking_clinic, problem_of):
    world = booking_clinic()
    sam = world.clinic.specialist
    mine = booked(world, world.at("10:00"), world.sam)

    handed = world.gateway.post(f"{world.admin_path}/appointments/{mine['booking_id']}/provider",
                                headers=sam.headers, json={"provider_id": world.sofia["id"]})

    assert handed.status_code == 403 and problem_of(handed)["permission"] == "appointments.manage"
    assert world.call("GET", f"/appointments/{mine['booking_id']}", world.clinic.admin)["provider_id"] == \
        world.sam["id"]
    assert world.call("GET", "/my/schedule", world.clinic.other_specialist)["appointments"] == []


def test_a_specialist_may_not_list_the_clinics_patients(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.gateway.get(f"{world.admin_path}/patients", headers=world.clinic.specialist.headers)

    assert response.status_code == 403 and problem_of(response)["permission"] == "patients.read"


# -- patients ---------------------------------------------------------------------------------


def test_the_receptionist_registers_finds_and_changes_a_patient(booking_clinic):
    world = booking_clinic()
    rita = world.clinic.receptionist

    response = world.gateway.post(f"{world.admin_path}/patients", headers={**rita.headers, "Idempotency-Key": "p-1"},
                                  json={**PATIENT, "sms_consent": {"given": True, "text_version": "sms-v1"}})
    assert response.status_code == 201, response.get_data(as_text=True)
    patient = response.get_json()
    assert response.headers["Location"] == f"{world.admin_path}/patients/{patient['patient_id']}"
    replay = world.gateway.post(f"{world.admin_path}/patients", headers={**rita.headers, "Idempotency-Key": "p-1"},
                                json={**PATIENT, "sms_consent": {"given": True, "text_version": "sms-v1"}})
    assert replay.get_json()["patient_id"] == patient["patient_id"]

    found = world.call("GET", "/patients", rita, query_string={"query": "Ioana"})["patients"]
    assert [p["patient_id"] for p in found] == [patient["patient_id"]]

    changed = world.call("PUT", f"/patients/{patient['patient_id']}", rita, headers={"If-Match": '"1"'},
                         json={**PATIENT, "name": "Ioana Pop-Marin"})
    assert (changed["name"], changed["version"]) == ("Ioana Pop-Marin", 2)


def test_staff_do_not_link_a_patient_record_to_a_sign_in(booking_clinic):
    """The link is made when the patient books signed in: staff could otherwise hand one patient's
    record, and the bookings made signed in, to another patient's account."""
    world = booking_clinic()
    rita, paula = world.clinic.receptionist, world.clinic.patient
    created = world.call("POST", "/patients", rita, expect=201, json={**DAN, "account_id": str(paula.account_id)})

    changed = world.call("PUT", f"/patients/{created['patient_id']}", rita, headers={"If-Match": '"1"'},
                         json={**DAN, "account_id": str(paula.account_id)})

    assert (created["account_id"], changed["account_id"]) == (None, None)


def test_a_patient_with_a_bad_mobile_is_refused_naming_the_field(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.gateway.post(f"{world.admin_path}/patients", headers=world.clinic.admin.headers,
                                  json={**PATIENT, "mobile": "12"})

    assert response.status_code == 422
    assert "mobile" in {e["field"] for e in problem_of(response)["errors"]}


def test_a_new_patient_beyond_the_plans_limit_is_refused_and_not_registered(booking_clinic, platform, scheduling,
                                                                             problem_of):
    world = booking_clinic()
    plan_key = f"tiny-{world.slug}"
    platform.call("POST", "/v1/platform/plans", platform.operator, expect=201, json={
        "key": plan_key, "kind": "base", "name": "Tiny", "price": {"amount_minor": 100, "currency": "RON"},
        "period": "month", "features": ["booking"], "limits": {"patients": 1}})
    platform.call("POST", f"/v1/platform/clinics/{world.slug}/subscription", platform.operator, expect=201,
                  json={"plan_key": plan_key})
    world.call("POST", "/patients", world.clinic.admin, expect=201, json=PATIENT)
    scheduling.sync_entitlements()  # entitlements counts the patient from scheduling's event

    response = world.gateway.post(f"{world.admin_path}/patients", headers=world.clinic.admin.headers,
                                  json={**PATIENT, "name": "Dan Marin", "email": "dan.marin@example.com"})

    assert response.status_code == 409, response.get_data(as_text=True)
    problem = problem_of(response)
    assert (problem["type"].rsplit("/", 1)[1], problem["limit"], problem["used"], problem["allowed"]) == (
        "limit-reached", "patients", 1, 1)
    assert len(world.call("GET", "/patients", world.clinic.admin)["patients"]) == 1


# -- the host video link --------------------------------------------------------------------


def test_the_host_link_of_a_paid_appointment_is_never_shown_to_the_receptionist_or_the_admin(booking_clinic,
                                                                                            scheduling):
    world = booking_clinic()
    paid = booked(world, world.at("09:00"), world.sam)["booking_id"]
    scheduling.paid(world.clinic.id, paid)

    for member in (world.clinic.receptionist, world.clinic.admin):
        [listed] = world.call("GET", "/appointments", member)["appointments"]
        read = world.call("GET", f"/appointments/{paid}", member)
        assert read["status"] == "paid" and read["video"]["join_url"]
        assert "host_url" not in listed["video"] and "host_url" not in read["video"]
    canceled = world.call("POST", f"/appointments/{paid}/cancel", world.clinic.receptionist,
                          json={"reason": "Patient called"})
    assert canceled["status"] == "canceled" and "host_url" not in canceled["video"]


def test_the_appointments_own_specialist_gets_its_host_link(booking_clinic, scheduling):
    world = booking_clinic()
    sam = world.clinic.specialist
    paid = booked(world, world.at("09:00"), world.sam)["booking_id"]
    scheduling.paid(world.clinic.id, paid)

    read = world.call("GET", f"/appointments/{paid}", sam)
    [listed] = world.call("GET", "/appointments", sam)["appointments"]
    [scheduled] = world.call("GET", "/my/schedule", sam)["appointments"]

    assert read["video"]["host_url"] and read["video"]["join_url"]
    assert listed["video"] == scheduled["video"] == read["video"]
