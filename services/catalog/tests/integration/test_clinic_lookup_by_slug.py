"""Catalog finds a clinic by its public slug (how the gateway resolves /v1/.../<clinic_slug>)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_a_registered_clinic_is_found_by_its_slug(client, registered):
    response = client.get("/clinics", query_string={"slug": "dental-care-cluj"})

    assert response.status_code == 200
    assert response.get_json() == {"clinics": [registered]}


def test_only_the_clinic_with_that_slug_is_found(client, clinic_body, registered):
    other = client.post("/clinics", json=clinic_body(slug="physio-iasi", name="Physio Iasi")).get_json()

    assert client.get("/clinics?slug=physio-iasi").get_json() == {"clinics": [other]}


def test_an_unknown_slug_finds_no_clinic(client, registered):
    response = client.get("/clinics", query_string={"slug": "nowhere"})

    assert response.status_code == 200
    assert response.get_json() == {"clinics": []}


@pytest.mark.parametrize("slug", ["Ä" * 500, "\x00", "dental\x00care-cluj", "dental-care-cluj\n"])
def test_a_slug_that_could_never_be_valid_finds_no_clinic_rather_than_failing(client, registered, slug):
    response = client.get("/clinics", query_string={"slug": slug})

    assert (response.status_code, response.get_json()) == (200, {"clinics": []})


def test_a_changed_slug_finds_the_clinic_only_under_its_new_slug(client, clinic_body, registered):
    changed = client.put(f"/clinics/{registered['id']}", json=clinic_body(slug="dental-care-turda"),
                         headers={"If-Match": '"1"'}).get_json()

    assert client.get("/clinics?slug=dental-care-cluj").get_json() == {"clinics": []}
    assert client.get("/clinics?slug=dental-care-turda").get_json() == {"clinics": [changed]}


def test_looking_up_without_a_slug_is_refused_with_a_problem_naming_the_parameter(client, problem_of):
    response = client.get("/clinics")

    assert response.status_code == 422
    assert [e["field"] for e in problem_of(response)["errors"]] == ["slug"]
