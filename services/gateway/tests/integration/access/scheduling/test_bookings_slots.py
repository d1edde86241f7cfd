"""A service's free slots through the gateway, for anyone: scheduling's slot engine, times in
the zone the patient asked for."""

from __future__ import annotations

from datetime import datetime

import pytest

pytestmark = pytest.mark.integration


def slots(world, **params):
    query = {"from": world.day.isoformat(), "to": world.day.isoformat(), "tz": "Europe/Bucharest", **params}
    return world.gateway.get(f"/v1/clinics/{world.slug}/services/{world.service['id']}/slots", query_string=query)


def test_anyone_sees_the_free_slots_of_every_specialist_in_the_zone_they_asked_for(booking_clinic):
    world = booking_clinic()

    response = slots(world)

    assert response.status_code == 200, response.get_data(as_text=True)
    found = response.get_json()["slots"]
    assert {tuple(sorted(slot)) for slot in found} == {("end", "provider_id", "start")}
    assert {slot["provider_id"] for slot in found} == {world.sam["id"], world.sofia["id"]}
    sams = [slot["start"] for slot in found if slot["provider_id"] == world.sam["id"]]
    assert sams == [world.at(clock) for clock in ("09:00", "09:30", "10:00", "10:30", "11:00", "11:30")]


def test_the_same_slots_in_new_york_time(booking_clinic):
    world = booking_clinic()

    found = slots(world, tz="America/New_York", provider_id=world.sam["id"]).get_json()["slots"]

    assert [datetime.fromisoformat(slot["start"]).utcoffset().total_seconds() / 3600 for slot in found] == [-5] * 6
    assert datetime.fromisoformat(found[0]["start"]) == datetime.fromisoformat(world.at("09:00"))
    assert {slot["provider_id"] for slot in found} == {world.sam["id"]}


def test_bad_parameters_are_answered_with_schedulings_problem_naming_each(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.gateway.get(f"/v1/clinics/{world.slug}/services/{world.service['id']}/slots",
                                 query_string={"from": "tomorrow", "tz": ""})

    assert response.status_code == 422
    assert {e["field"] for e in problem_of(response)["errors"]} >= {"from", "to", "tz"}


def test_a_clinic_that_does_not_exist_has_no_slots(booking_clinic, problem_of):
    world = booking_clinic()

    response = world.gateway.get(f"/v1/clinics/no-such-clinic/services/{world.service['id']}/slots",
                                 query_string={"from": world.day.isoformat(), "to": world.day.isoformat(),
                                               "tz": "UTC"})

    assert response.status_code == 404
    assert problem_of(response)["type"].endswith("/not-found")
