"""The rules a provider (specialist) obeys (catalog.domain.providers)."""

from __future__ import annotations

import uuid

import pytest

from catalog.domain.providers import check_provider


def problems_of(details, reference, region="RO", locations=None):
    return check_provider(details, reference, region, locations or {})


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_a_specialist_with_a_name_an_email_and_a_zone_breaks_no_rule(provider_details, reference):
    assert problems_of(provider_details(), reference) == []


def test_a_blank_name_is_refused(provider_details, reference):
    assert fields(problems_of(provider_details(name="  "), reference)) == ["name"]


@pytest.mark.parametrize("email", ["ana", "ana@", "@dentalcare.ro", "ana@dentalcare", "ana popescu@dentalcare.ro",
                                   "ana@@dentalcare.ro", "ana@dentalcare.ro.", "a" * 250 + "@x.ro"])
def test_an_email_that_is_no_address_is_refused(provider_details, reference, email):
    assert fields(problems_of(provider_details(email=email), reference)) == ["email"]


@pytest.mark.parametrize("email", ["ana@dentalcare.ro", "ana.popescu+clinic@mail.dentalcare.ro", "A@B.CO"])
def test_ordinary_email_addresses_are_accepted(provider_details, reference, email):
    assert problems_of(provider_details(email=email), reference) == []


@pytest.mark.parametrize("mobile", ["+40712345678", "0712 345 678", "0712345678"])
def test_a_mobile_number_in_international_form_or_as_dialled_in_the_clinics_country_is_accepted(
    provider_details, reference, mobile
):
    assert problems_of(provider_details(mobile=mobile), reference, region="RO") == []


def test_without_a_country_a_national_number_is_refused_with_a_hint_at_the_international_form(
    provider_details, reference
):
    problems = problems_of(provider_details(mobile="0712345678"), reference, region=None)

    assert fields(problems) == ["mobile"]
    assert "+40712345678" in problems[0].message


@pytest.mark.parametrize("mobile", ["12", "+40212345678", "call me", ""])
def test_a_number_that_is_no_mobile_is_refused(provider_details, reference, mobile):
    assert fields(problems_of(provider_details(mobile=mobile), reference)) == ["mobile"]


def test_an_unknown_time_zone_is_refused(provider_details, reference):
    assert fields(problems_of(provider_details(timezone="Mars/Olympus"), reference)) == ["timezone"]


def test_a_specialist_works_only_at_active_locations_of_the_clinic(provider_details, reference):
    active, archived, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    details = provider_details(location_ids=(active, archived, elsewhere, active))

    problems = problems_of(details, reference, locations={active: False, archived: True})

    assert fields(problems) == ["location_ids.3", "location_ids.1", "location_ids.2"]
    assert ["is archived" in p.message for p in problems] == [False, True, False]


def test_every_broken_rule_is_reported_together(provider_details, reference):
    broken = provider_details(name="", email="nobody", mobile="12", timezone="Nowhere/City")

    assert fields(problems_of(broken, reference)) == ["name", "email", "mobile", "timezone"]
