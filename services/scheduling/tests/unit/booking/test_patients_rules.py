"""Patients' contact details and consent (scheduling.domain.patients)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.domain.patients import (
    Contact,
    check_consent,
    check_contact,
    mobile_number,
    new_patient,
    region_of,
    same_person,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "region", "e164"), [
    ("+40712345678", None, "+40712345678"),
    ("0712 345 678", "RO", "+40712345678"),
    ("+40 (712) 345-678", "US", "+40712345678"),
    ("(415) 555-2671", "US", "+14155552671"),
    ("+44 7400 123456", "RO", "+447400123456"),
])
def test_mobile_numbers_are_kept_in_e164_read_in_the_clinics_country_without_a_prefix(text, region, e164):
    assert mobile_number(text, region) == e164


@pytest.mark.parametrize(("text", "region", "message"), [
    ("0712 345 678", None, "not a phone number"),
    ("hello", "RO", "not a phone number"),
    ("+40 712", "RO", "not a valid number"),
    ("+40 21 312 3456", "RO", "not a mobile number"),
    ("+999 1234567", None, "not a phone number"),
])
def test_numbers_that_texts_cannot_reach_are_refused_saying_why(text, region, message):
    checked, problems = check_contact("Maria", "maria@example.ro", text, region=region)
    assert [(p.field, message in p.message) for p in problems] == [("mobile", True)]


def test_every_broken_rule_is_reported_at_once_under_the_prefix():
    _, problems = check_contact(" ", "maria", "12", region="RO", prefix="patient.")
    assert [p.field for p in problems] == ["patient.name", "patient.email", "patient.mobile"]


def test_details_are_trimmed_and_a_mobile_is_optional():
    contact, problems = check_contact("  Maria Ionescu ", " maria@example.ro ", None, region="RO")
    assert problems == [] and contact == Contact("Maria Ionescu", "maria@example.ro", None)


@pytest.mark.parametrize(("locale", "region"), [("ro-RO", "RO"), ("en_US", "US"), ("ro", None), (None, None),
                                                 ("sr-Latn-RS", "RS")])
def test_the_clinics_country_comes_from_its_locale(locale, region):
    assert region_of(locale) == region


def patient():
    return new_patient(uuid.uuid4(), uuid.uuid4(), Contact("Maria", "maria@example.ro", "+40712345678"),
                       account_id=None, consent=(True, "sms-2026-01"), now=NOW)


def test_consent_is_recorded_with_its_time_and_wording_and_kept_when_other_details_change():
    registered = patient()
    assert (registered.sms_consent.given, registered.sms_consent.recorded_at,
            registered.sms_consent.text_version) == (True, NOW, "sms-2026-01")
    later = NOW + timedelta(days=1)

    renamed = registered.changed(Contact("Maria Pop", "maria@example.ro", "+40712345678"), account_id=None,
                                 consent=(True, "sms-2026-01"), now=later)
    withdrawn = renamed.changed(Contact("Maria Pop", "maria@example.ro", "+40712345678"), account_id=None,
                                consent=(False, "sms-2026-01"), now=later + timedelta(hours=1))

    assert renamed.version == 2 and renamed.sms_consent.recorded_at == NOW
    assert withdrawn.version == 3 and withdrawn.sms_consent.given is False
    assert withdrawn.sms_consent.recorded_at == later + timedelta(hours=1)


def test_a_change_that_changes_nothing_is_no_new_version():
    registered = patient()
    same = registered.changed(Contact("Maria", "maria@example.ro", "+40712345678"), account_id=None, consent=None,
                              now=NOW + timedelta(days=1))
    assert same is registered


def test_archiving_is_a_new_version_once():
    archived = patient().archive(NOW)
    assert archived.archived and archived.version == 2
    assert archived.archive(NOW) is archived


def test_a_booking_names_a_known_patient_by_email_and_name_ignoring_case():
    known = patient()
    assert same_person(known, Contact("MARIA", "Maria@Example.RO", None))
    assert not same_person(known, Contact("Ion", "maria@example.ro", None))
    assert not same_person(known.archive(NOW), Contact("Maria", "maria@example.ro", None))


@pytest.mark.parametrize(("name", "email", "mobile", "field"), [
    ("Maria\x00 Ionescu", "maria@example.ro", None, "name"),
    ("Maria", "maria\x1b@example.ro", None, "email"),
    ("Maria", "maria@example.ro", "+40712\x00345678", "mobile"),
    ("Maria\nIonescu", "maria@example.ro", None, "name"),
])
def test_control_characters_in_any_contact_detail_are_refused_without_echoing_it(name, email, mobile, field):
    _, problems = check_contact(name, email, mobile, region="RO", prefix="patient.")

    assert [problem.field for problem in problems] == [f"patient.{field}"]
    assert "Maria" not in problems[0].message


@pytest.mark.parametrize("name", ["\u200b", "\ufeff\u202e", "\u2800", "\u3164", "\u115f\u1160", " \u200b "])
def test_a_name_that_shows_nothing_is_no_name(name):
    assert [problem.field for problem in check_contact(name, "maria@example.ro", None, region="RO")[1]] == ["name"]


@pytest.mark.parametrize("version", ["\u200b", "\u2800"])
def test_a_consent_wording_version_that_shows_nothing_is_refused(version):
    assert [problem.field for problem in check_consent((True, version))] == ["sms_consent.text_version"]


def test_names_in_any_script_are_names():
    for name in ("Ștefan Pop", "김민준", "محمد", "Zoë O'Brien-Núñez"):
        assert check_contact(name, "maria@example.ro", None, region="RO")[1] == []


def test_an_email_longer_than_254_characters_once_casefolded_is_refused():
    """It is looked up casefolded, and ß casefolds to ss."""
    fits, grows = "a@" + "ß" * 124 + ".de", "a@" + "ß" * 248 + ".de"

    assert check_contact("Maria", fits, None, region="RO")[1] == []
    assert [problem.field for problem in check_contact("Maria", grows, None, region="RO")[1]] == ["email"]


def test_a_consent_wording_version_must_be_printable_and_not_blank():
    assert check_consent((True, "sms-2026-01")) == []
    assert [p.field for p in check_consent((True, "   "))] == ["sms_consent.text_version"]
    assert [p.field for p in check_consent((True, "sms\x00"))] == ["sms_consent.text_version"]
    assert check_consent(None) == []
