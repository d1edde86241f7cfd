"""Specialists' availability through the gateway: the clinic's staff read everyone's, its admin
changes anyone's, a specialist reads and changes only their own."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def availability(world, provider) -> str:
    return f"/providers/{provider['id']}/availability"


def slot_starts(world, provider) -> list[str]:
    response = world.gateway.get(f"/v1/clinics/{world.slug}/services/{world.service['id']}/slots", query_string={
        "from": world.day.isoformat(), "to": world.day.isoformat(), "tz": "Europe/Bucharest",
        "provider_id": provider["id"]})
    return [slot["start"] for slot in response.get_json()["slots"]]


def test_the_admin_sets_a_specialists_weekly_hours_and_reads_them_back_with_their_version(booking_clinic):
    world = booking_clinic()

    response = world.gateway.get(world.admin_path + availability(world, world.sam), headers=world.clinic.admin.headers)

    assert response.status_code == 200
    held = response.get_json()
    assert (held["provider_id"], held["timezone"], held["version"]) == (world.sam["id"], "Europe/Bucharest", 1)
    assert [(r["weekday"], r["start"], r["end"]) for r in held["rules"]] == [(d, "09:00", "12:00") for d in range(1, 6)]
    assert response.headers["ETag"] == '"1"'


def test_a_specialist_changes_their_own_hours_and_the_slots_follow(booking_clinic):
    world = booking_clinic()
    sam = world.clinic.specialist

    world.call("PUT", availability(world, world.sam), sam, headers={"If-Match": '"1"'},
               json={"timezone": "Europe/Bucharest", "rules": [{"weekday": 1, "start": "10:00", "end": "11:00"}]})

    assert slot_starts(world, world.sam) == [world.at("10:00"), world.at("10:30")]


def test_a_specialist_may_neither_read_nor_change_another_specialists_hours(booking_clinic, problem_of):
    world = booking_clinic()
    sam = world.clinic.specialist
    path = world.admin_path + availability(world, world.sofia)

    read = world.gateway.get(path, headers=sam.headers)
    changed = world.gateway.put(path, headers={**sam.headers, "If-Match": '"1"'},
                                json={"timezone": "UTC", "rules": []})
    away = world.gateway.post(path + "/away", headers=sam.headers,
                              json={"first_day": world.day.isoformat(), "last_day": world.day.isoformat()})

    assert [r.status_code for r in (read, changed, away)] == [403, 403, 403]
    assert {problem_of(r)["permission"] for r in (read, changed, away)} == {"availability.read",
                                                                            "availability.manage"}
    assert len(slot_starts(world, world.sofia)) == 6


def test_the_receptionist_reads_everyones_hours_but_changes_nobodys(booking_clinic, problem_of):
    world = booking_clinic()
    rita = world.clinic.receptionist
    path = world.admin_path + availability(world, world.sofia)

    read = world.gateway.get(path, headers=rita.headers)
    changed = world.gateway.put(path, headers={**rita.headers, "If-Match": '"1"'}, json={"rules": []})

    assert read.status_code == 200
    assert changed.status_code == 403 and problem_of(changed)["permission"] == "availability.manage"


def test_an_away_day_frees_no_slot_until_it_is_removed(booking_clinic):
    world = booking_clinic()
    sam = world.clinic.specialist
    path = availability(world, world.sam)

    response = world.gateway.post(world.admin_path + path + "/away", headers={**sam.headers, "Idempotency-Key": "a1"},
                                  json={"first_day": world.day.isoformat(), "last_day": world.day.isoformat(),
                                        "note": "conference"})
    assert response.status_code == 201, response.get_data(as_text=True)
    away = response.get_json()
    assert response.headers["Location"] == f"{world.admin_path}{path}/away/{away['id']}"
    assert slot_starts(world, world.sam) == []

    removed = world.gateway.delete(world.admin_path + f"{path}/away/{away['id']}", headers=sam.headers)

    assert removed.status_code == 204 and removed.headers["ETag"] == '"3"'
    assert len(slot_starts(world, world.sam)) == 6


def test_a_one_off_closed_day_and_its_removal(booking_clinic):
    world = booking_clinic()
    path = availability(world, world.sofia)

    override = world.call("POST", path + "/overrides", world.clinic.admin, expect=201,
                          json={"day": world.day.isoformat(), "kind": "closed"})
    assert slot_starts(world, world.sofia) == []

    world.call("DELETE", f"{path}/overrides/{override['id']}", world.clinic.admin, expect=204)
    assert len(slot_starts(world, world.sofia)) == 6


# -- the audit trail ----------------------------------------------------------------------------


def test_the_admins_and_a_specialists_availability_changes_are_in_the_scheduling_audit(booking_clinic, problem_of):
    world = booking_clinic()  # its admin set both specialists' weekly hours
    admin, sam = world.clinic.admin, world.clinic.specialist
    path = availability(world, world.sam)
    day = world.day.isoformat()
    world.call("PUT", path, admin, headers={"If-Match": '"1"'},
               json={"timezone": "Europe/Bucharest", "rules": [{"weekday": 1, "start": "10:00", "end": "12:00"}]})
    away = world.call("POST", path + "/away", sam, expect=201, json={"first_day": day, "last_day": day})
    closed = world.call("POST", path + "/overrides", sam, expect=201, json={"day": day, "kind": "closed"})
    world.call("DELETE", f"{path}/overrides/{closed['id']}", sam, expect=204)
    world.call("DELETE", f"{path}/away/{away['id']}", admin, expect=204)

    entries = world.call("GET", "/scheduling-audit", admin, query_string={"provider_id": world.sam["id"]})["entries"]

    as_admin = {"kind": "staff", "account_id": str(admin.account_id)}
    as_sam = {"kind": "provider", "account_id": str(sam.account_id)}
    assert [(entry["action"], entry["actor"]) for entry in entries] == [
        ("availability.schedule_replaced", as_admin), ("availability.schedule_replaced", as_admin),
        ("availability.away_added", as_sam), ("availability.override_added", as_sam),
        ("availability.override_removed", as_sam), ("availability.away_removed", as_admin)]
    assert {entry["provider_id"] for entry in entries} == {world.sam["id"]}
    assert entries[1]["after"]["rules"][0]["start"] == "10:00"
    others = world.gateway.get(world.admin_path + "/scheduling-audit", headers=sam.headers,
                               query_string={"provider_id": world.sofia["id"]})
    assert others.status_code == 403 and problem_of(others)["permission"] == "audit.read"


def test_reading_the_audit_cannot_be_granted_as_a_specialists_own(booking_clinic):
    world = booking_clinic()

    response = world.gateway.post(world.admin_path + "/roles", headers=world.clinic.admin.headers, json={
        "key": "own-auditor", "name": "Own auditor", "grants": [{"permission": "audit.read", "scope": "own"}]})

    assert response.status_code == 422, response.get_data(as_text=True)
    assert [error["field"] for error in response.get_json()["errors"]] == ["grants.0.scope"]
