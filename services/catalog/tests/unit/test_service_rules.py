"""The rules a service obeys, and what patients are shown of its policy (catalog.domain.services)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from catalog.domain.calendars import Calendar
from catalog.domain.errors import RuleBroken
from catalog.domain.services import (
    MAX_REQUIRED_FORMS,
    Document,
    PatientPolicy,
    Reminders,
    RequiredForm,
    Service,
    check_service,
)
from catalog.domain.values import BookingWindow, RefundPolicy


def problems_of(details, reference, providers=None, calendars=()):
    return check_service(details, "RON", reference, providers or {}, calendars)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


def test_a_complete_service_breaks_no_rule(service_details, reference):
    assert problems_of(service_details(), reference) == []


def test_a_new_service_reminds_24_hours_and_one_hour_before_by_default(service_details):
    assert service_details().reminders == Reminders(before_24h=True, before_1h=True)


def test_a_blank_name_is_refused(service_details, reference):
    assert fields(problems_of(service_details(name=" "), reference)) == ["name"]


@pytest.mark.parametrize("minutes", [0, -30, 721])
def test_a_duration_of_no_time_or_beyond_twelve_hours_is_refused(service_details, reference, minutes):
    assert fields(problems_of(service_details(duration_minutes=minutes), reference)) == ["duration_minutes"]


@pytest.mark.parametrize("minutes", [1, 720])
def test_a_duration_from_one_minute_to_twelve_hours_is_accepted(service_details, reference, minutes):
    assert problems_of(service_details(duration_minutes=minutes), reference) == []


def test_a_negative_price_is_refused(service_details, reference, ron):
    assert fields(problems_of(service_details(price=ron(-100)), reference)) == ["price.amount_minor"]


def test_a_free_service_is_accepted(service_details, reference, ron):
    assert problems_of(service_details(price=ron(0)), reference) == []


@pytest.mark.parametrize("currency", ["XYZ", "EUR"])
def test_a_price_in_an_unknown_or_other_currency_is_refused(service_details, reference, ron, currency):
    assert fields(problems_of(service_details(price=ron(100, currency)), reference)) == ["price.currency"]


@pytest.mark.parametrize(("field", "minutes"), [("buffer_before_minutes", -1), ("buffer_after_minutes", -5),
                                                ("buffer_before_minutes", 241)])
def test_buffers_are_from_0_to_4_hours(service_details, reference, field, minutes):
    assert fields(problems_of(service_details(**{field: minutes}), reference)) == [field]


def test_assigned_specialists_are_active_specialists_of_the_clinic(service_details, reference):
    active, archived, foreign = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    details = service_details(provider_ids=(active, archived, foreign))

    problems = problems_of(details, reference, providers={active: False, archived: True})

    assert fields(problems) == ["provider_ids.1", "provider_ids.2"]
    assert problems[1].message == f"no provider {foreign} in this clinic"


def test_required_forms_are_intake_or_consent_templates_named_by_key(service_details, reference):
    forms = (RequiredForm("intake", "physio-intake"), RequiredForm("consent", "treatment.consent_v2"))

    assert problems_of(service_details(required_forms=forms), reference) == []


def test_a_form_of_an_unknown_kind_or_with_a_bad_key_is_refused_on_that_part(service_details, reference):
    forms = (RequiredForm("survey", "physio-intake"), RequiredForm("intake", "Physio Intake"))

    assert fields(problems_of(service_details(required_forms=forms), reference)) == [
        "required_forms.0.kind", "required_forms.1.template_key"]


def test_the_same_form_twice_is_refused(service_details, reference):
    form = RequiredForm("consent", "treatment-consent")

    assert fields(problems_of(service_details(required_forms=(form, form)), reference)) == ["required_forms.1"]


def test_at_most_20_forms_are_required(service_details, reference):
    forms = tuple(RequiredForm("intake", f"form-{n}") for n in range(MAX_REQUIRED_FORMS + 1))

    assert fields(problems_of(service_details(required_forms=forms), reference)) == ["required_forms"]


def test_the_services_own_policy_is_checked_like_the_clinics(service_details, reference):
    details = service_details(cancellation_window_hours=1000, refund_policy=RefundPolicy("partial", 100))

    assert fields(problems_of(details, reference)) == ["cancellation_window_hours", "refund_policy.percent"]


def test_a_services_own_notice_and_horizon_are_checked_with_the_rest(service_details, reference):
    details = service_details(duration_minutes=0, minimum_notice_minutes=-1, booking_horizon_days=731)

    assert fields(problems_of(details, reference)) == ["duration_minutes", "minimum_notice_minutes",
                                                       "booking_horizon_days"]


def test_a_services_notice_must_be_shorter_than_its_horizon(service_details, reference):
    details = service_details(minimum_notice_minutes=3 * 24 * 60, booking_horizon_days=3)

    assert fields(problems_of(details, reference)) == ["minimum_notice_minutes"]


def test_a_service_may_set_its_notice_and_horizon(service_details, reference):
    assert problems_of(service_details(minimum_notice_minutes=0, booking_horizon_days=730), reference) == []


# -- the policy shown to patients -------------------------------------------------------------


def test_without_its_own_policy_a_service_shows_the_clinics(service_details, profile):
    clinic = replace(profile, cancellation_window_hours=12, refund_policy=RefundPolicy("none", text="No refunds."))

    assert service_details().patient_policy(clinic) == PatientPolicy(12, RefundPolicy("none", text="No refunds."))


def test_a_services_own_window_and_refund_policy_override_the_clinics(service_details, profile):
    own = RefundPolicy("partial", 50, "Half back.")

    shown = service_details(cancellation_window_hours=48, refund_policy=own).patient_policy(profile)

    assert shown == PatientPolicy(48, own)


def test_a_service_may_override_just_its_window(service_details, profile):
    assert service_details(cancellation_window_hours=0).patient_policy(profile) == PatientPolicy(
        0, profile.refund_policy)


def test_without_its_own_notice_and_horizon_a_service_is_booked_within_the_platforms(service_details):
    assert service_details().booking_window() == BookingWindow(minimum_notice_minutes=60, booking_horizon_days=180)


def test_a_services_own_notice_or_horizon_overrides_the_platforms(service_details):
    assert service_details(minimum_notice_minutes=0).booking_window() == BookingWindow(0, 180)
    assert service_details(minimum_notice_minutes=1440, booking_horizon_days=30).booking_window() == BookingWindow(
        1440, 30)


def calendar(calendar_details, **own) -> Calendar:
    return Calendar(uuid.uuid4(), uuid.uuid4(), calendar_details(uuid.uuid4(), **own), 1,
                    datetime(2026, 3, 14, tzinfo=UTC))


@pytest.mark.parametrize(("service", "own", "refused"), [
    ({"booking_horizon_days": 2}, {"minimum_notice_minutes": 43200}, "booking_horizon_days"),
    ({"minimum_notice_minutes": 30, "booking_horizon_days": 2}, {"minimum_notice_minutes": 2880},
     "booking_horizon_days"),
    ({"minimum_notice_minutes": 1440}, {"booking_horizon_days": 1}, "minimum_notice_minutes"),
])
def test_a_booking_window_leaving_nothing_bookable_through_one_of_its_calendars_is_refused_naming_it(
        service_details, calendar_details, reference, service, own, refused):
    held = calendar(calendar_details, **own)

    problems = problems_of(service_details(**service), reference, calendars=[calendar(calendar_details), held])

    assert fields(problems) == [refused]
    assert str(held.id) in problems[0].message


def test_calendars_with_their_own_window_or_none_leave_the_service_its_own(service_details, calendar_details,
                                                                         reference):
    calendars = [calendar(calendar_details), calendar(calendar_details, minimum_notice_minutes=0,
                                                      booking_horizon_days=1)]

    assert problems_of(service_details(minimum_notice_minutes=43200, booking_horizon_days=31), reference,
                       calendars=calendars) == []


def test_a_calendars_own_notice_shorter_than_the_services_horizon_leaves_something_bookable(
        service_details, calendar_details, reference):
    assert problems_of(service_details(booking_horizon_days=2), reference,
                       calendars=[calendar(calendar_details, minimum_notice_minutes=2879)]) == []


# -- attached documents -----------------------------------------------------------------------


def document(title="How to prepare") -> Document:
    return Document(uuid.uuid4(), "preparation", title, "prepare.pdf", "application/pdf", 12, "ab" * 32,
                    datetime(2026, 3, 14, tzinfo=UTC))


@pytest.fixture
def service(service_details, now) -> Service:
    return Service.create(uuid.uuid4(), uuid.uuid4(), service_details(), now)


def test_attaching_a_document_is_a_change_of_the_service(service, later):
    attached = document()

    changed = service.attach(attached, later)

    assert changed.documents == (attached,)
    assert (changed.version, changed.updated_at, changed.details) == (2, later, service.details)


def test_archiving_a_document_keeps_it_attached_and_marked(service, later):
    attached = document()
    held = service.attach(attached, later)

    changed = held.archive_document(attached.id, later)

    assert changed.documents == (replace(attached, archived=True),)
    assert changed.version == 3


def test_archiving_an_archived_document_changes_nothing(service, later):
    attached = document()
    archived = service.attach(attached, later).archive_document(attached.id, later)

    assert archived.archive_document(attached.id, later) is archived


def test_an_archived_service_gets_no_documents(service, later):
    with pytest.raises(RuleBroken) as refused:
        service.archive(later).attach(document(), later)

    assert refused.value.field == "service"


def test_changing_a_service_keeps_its_documents(service, service_details, later):
    held = service.attach(document(), later)

    assert held.change(service_details(name="Physiotherapy (50 min)"), later).documents == held.documents
