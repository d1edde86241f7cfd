"""The real reference lists: IANA zones (zoneinfo), ISO 4217 currencies and CLDR locales (Babel)."""

from __future__ import annotations

import pytest

from catalog.adapters.reference_data import WorldReferenceData
from catalog.domain.clinic import ClinicProfile
from catalog.domain.rules import check_profile

world = WorldReferenceData()


@pytest.mark.parametrize("zone", ["Europe/Bucharest", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "UTC"])
def test_iana_time_zones_are_known(zone):
    assert world.is_timezone(zone)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "europe/bucharest", "GMT+2 ", "", "Bucharest",
                                  "localtime", "Factory"])  # the host's zone files, which scheduling refuses
def test_other_time_zone_names_are_unknown(zone):
    assert not world.is_timezone(zone)


@pytest.mark.parametrize("code", ["RON", "EUR", "USD", "JPY", "GBP"])
def test_iso_4217_currencies_are_known(code):
    assert world.is_currency(code)


@pytest.mark.parametrize("code", ["ron", "XYZ", "EURO", "", "LEI"])
def test_other_currency_codes_are_unknown(code):
    assert not world.is_currency(code)


@pytest.mark.parametrize("tag", ["ro-RO", "en", "en-GB", "de-DE", "zh-Hans-CN", "es-419"])
def test_known_locales_in_bcp_47_form_are_accepted(tag):
    assert world.is_locale(tag)


@pytest.mark.parametrize("tag", ["xx-YY", "klingon", "", "ro_RO", "en-", " ro-RO"])
def test_unknown_or_malformed_locales_are_refused(tag):
    assert not world.is_locale(tag)


def test_a_real_clinic_profile_passes_the_rules_against_the_world():
    profile = ClinicProfile("dental-care-cluj", "Dental Care Cluj", "Europe/Bucharest", "RON", "ro-RO")

    assert check_profile(profile, world) == []


@pytest.mark.parametrize(("raw", "region", "e164"), [
    ("+40712345678", None, "+40712345678"),
    ("0712 345 678", "RO", "+40712345678"),
    ("+40 (712) 345-678", "GB", "+40712345678"),
    ("+44 7400 123456", "RO", "+447400123456"),
    ("+1 415 555 2671", None, "+14155552671"),
])
def test_mobile_numbers_become_e164_national_ones_read_in_the_given_country(raw, region, e164):
    assert world.mobile_number(raw, region) == e164


@pytest.mark.parametrize(("raw", "region"), [
    ("0712345678", None),         # national, and no country to read it in
    ("+40212345678", None),       # a Bucharest landline: no SMS
    ("+4071234567890", None),     # too long
    ("call me", "RO"),
    ("", "RO"),
])
def test_other_numbers_are_no_mobile_numbers(raw, region):
    assert world.mobile_number(raw, region) is None
