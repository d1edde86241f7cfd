"""Use cases on specialists' availability and a service's slots (scheduling.service_layer), on
fakes of the read models, the availability store, the outbox and the busy time."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta

import pytest

from clinic_contracts.events.scheduling import AvailabilityUpdatedV1
from clinic_runtime.refusals import Invalid, NotFound, StaleVersion
from scheduling.adapters.appointments import AuditEntry
from scheduling.adapters.availability import AvailabilityRepository
from scheduling.adapters.busy_times import BusyTimeSource
from scheduling.domain.appointments import Actor
from scheduling.domain.availability import DayOverride, ProviderAvailability, WeeklyRule, WeeklySchedule
from scheduling.domain.offerings import HourWindow
from scheduling.domain.slots import Busy
from scheduling.service_layer import availability as use_cases
from scheduling.service_layer.slots import MAX_DAYS, SlotQuery, slots_of_service

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
OTHER_CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a61")
PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e01")
SECOND_PROVIDER_ID = uuid.UUID("0190f3a3-1b2c-7d4e-9f60-1a2b3c4d5e02")
SERVICE_ID = uuid.UUID("0190f3a4-2c3d-7e5f-a071-2b3c4d5e6f01")
CALENDAR_ID = uuid.UUID("0190f3a5-4e5f-7061-8293-4d5e6f7a8b01")
LOCATION_ID = uuid.UUID("0190f3a2-7d2f-7c5e-8b64-3f9e5d2e8b01")
NOW = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
WORKDAYS = tuple(WeeklyRule(weekday, "09:00", "12:00") for weekday in range(1, 6))
STAFF = Actor("staff", uuid.UUID("0190f3a6-5f60-7172-83a4-5e6f7a8b9c01"))


class FakeAvailability:
    def __init__(self) -> None:
        self.held: dict[tuple[uuid.UUID, uuid.UUID], ProviderAvailability] = {}
        self.saved: list[int] = []

    def get(self, clinic_id: uuid.UUID, provider_id: uuid.UUID) -> ProviderAvailability | None:
        return self.held.get((clinic_id, provider_id))

    def of_providers(self, clinic_id: uuid.UUID,
                     provider_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, ProviderAvailability]:
        return {provider_id: self.held[(clinic_id, provider_id)] for provider_id in provider_ids
                if (clinic_id, provider_id) in self.held}

    def held_for_change(self, clinic_id: uuid.UUID, provider_id: uuid.UUID, timezone: str) -> ProviderAvailability:
        return self.held.setdefault((clinic_id, provider_id),
                                    ProviderAvailability.unset(clinic_id, provider_id, timezone))

    def save(self, availability: ProviderAvailability) -> None:
        self.held[(availability.clinic_id, availability.provider_id)] = availability
        self.saved.append(availability.version)


class FakeAuditTrail:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self.entries.append(entry)


class FakeUnitOfWork:
    def __init__(self, providers, services, calendars) -> None:
        self.providers, self.services, self.calendars = providers, services, calendars
        self.availability = FakeAvailability()
        self.appointments = FakeAuditTrail()  # the audit trail's part of the appointments' store
        self.published: list[tuple[object, uuid.UUID]] = []

    def publish(self, event, *, clinic_id: uuid.UUID) -> None:
        self.published.append((event, clinic_id))


class FakeBusyTimes:
    def __init__(self, *busy: Busy) -> None:
        self.taken = list(busy)
        self.asked: list[tuple] = []

    def busy(self, clinic_id, provider_ids, start, end) -> list[Busy]:
        self.asked.append((clinic_id, list(provider_ids), start, end))
        return self.taken


# Keep the fakes fitting their ports.
_ports: tuple[AvailabilityRepository, BusyTimeSource] = (FakeAvailability(), FakeBusyTimes())


@pytest.fixture
def uow(providers, services, calendars, provider, service) -> FakeUnitOfWork:
    work = FakeUnitOfWork(providers, services, calendars)
    providers.keep_newest(provider(1))
    services.keep_newest(service(1))
    return work


def replace_schedule(uow, *, rules=WORKDAYS, blackout_dates=(), timezone=None, expected_version=0,
                     provider_id=PROVIDER_ID, actor=STAFF):
    return use_cases.replace_schedule(uow, CLINIC_ID, provider_id, timezone=timezone, rules=rules,
                                      blackout_dates=blackout_dates, expected_version=expected_version, actor=actor,
                                      now=NOW)


def fields(refused: pytest.ExceptionInfo[Invalid]) -> list[tuple[str, str]]:
    return [(problem.field, problem.message) for problem in refused.value.problems]


# -- reading -----------------------------------------------------------------------------------


def test_a_specialists_availability_never_set_is_empty_in_their_zone_at_version_0(uow):
    assert use_cases.read_availability(uow, CLINIC_ID, PROVIDER_ID) == ProviderAvailability.unset(
        CLINIC_ID, PROVIDER_ID, "Europe/Bucharest")


def test_an_unknown_specialist_or_another_clinics_has_no_availability(uow):
    with pytest.raises(NotFound, match="specialist"):
        use_cases.read_availability(uow, CLINIC_ID, SECOND_PROVIDER_ID)
    with pytest.raises(NotFound):
        use_cases.read_availability(uow, OTHER_CLINIC_ID, PROVIDER_ID)


def test_an_archived_specialists_availability_can_still_be_read(uow, provider):
    replace_schedule(uow)
    uow.providers.keep_newest(provider(2, archived=True))

    assert use_cases.read_availability(uow, CLINIC_ID, PROVIDER_ID).version == 1


# -- the weekly schedule -----------------------------------------------------------------------


def test_a_new_schedule_is_stored_one_version_on_and_published_whole(uow):
    held = replace_schedule(uow, blackout_dates=(date(2026, 5, 1), date(2026, 4, 13)))

    assert (held.version, held.updated_at, held.schedule.timezone) == (1, NOW, "Europe/Bucharest")
    assert held.schedule.blackout_dates == (date(2026, 4, 13), date(2026, 5, 1))
    assert uow.availability.get(CLINIC_ID, PROVIDER_ID) == held
    assert uow.published == [(AvailabilityUpdatedV1(
        clinic_id=CLINIC_ID, provider_id=PROVIDER_ID, timezone="Europe/Bucharest",
        rules=[{"weekday": rule.weekday, "start": "09:00", "end": "12:00", "valid_from": None, "valid_until": None,
                "location_id": None} for rule in WORKDAYS],
        blackout_dates=[date(2026, 4, 13), date(2026, 5, 1)], away=[], overrides=[], version=1, updated_at=NOW),
        CLINIC_ID)]


def test_a_schedule_may_be_written_in_another_zone_and_keeps_it(uow):
    replace_schedule(uow, timezone="Europe/London")

    assert replace_schedule(uow, rules=WORKDAYS[:1], expected_version=1).schedule.timezone == "Europe/London"


def test_a_schedule_based_on_another_version_is_refused(uow):
    replace_schedule(uow)

    with pytest.raises(StaleVersion) as stale:
        replace_schedule(uow, rules=WORKDAYS[:2], expected_version=0)

    assert stale.value.current == 1
    assert (uow.availability.saved, len(uow.published)) == ([1], 1)


def test_an_invalid_schedule_is_refused_with_every_problem_and_nothing_is_stored(uow):
    rules = (WeeklyRule(1, "09:00", "12:00", location_id=uuid.uuid4()), WeeklyRule(1, "11:00", "10:00"))

    with pytest.raises(Invalid) as refused:
        replace_schedule(uow, rules=rules, timezone="Europe/Nowhere")

    assert fields(refused) == [
        ("timezone", "'Europe/Nowhere' is not an IANA time zone"),
        ("rules.1.end", "must be after the start"),
        ("rules.0.location_id", "is not a location where the specialist works"),
    ]
    assert (uow.availability.saved, uow.published) == ([], [])


def test_a_rule_may_name_one_of_the_specialists_locations(uow):
    held = replace_schedule(uow, rules=(WeeklyRule(1, "09:00", "12:00", location_id=LOCATION_ID),))

    assert held.schedule.rules[0].location_id == LOCATION_ID


def test_the_same_schedule_again_changes_nothing_and_publishes_nothing(uow):
    replace_schedule(uow, blackout_dates=(date(2026, 5, 1), date(2026, 4, 13)))

    again = replace_schedule(uow, blackout_dates=(date(2026, 4, 13), date(2026, 5, 1)), expected_version=1)

    assert (again.version, uow.availability.saved, len(uow.published)) == (1, [1], 1)


def test_an_archived_specialists_availability_cannot_change(uow, provider):
    uow.providers.keep_newest(provider(2, archived=True))

    with pytest.raises(Invalid) as refused:
        replace_schedule(uow)

    assert fields(refused) == [("provider", "the specialist is archived: their availability cannot change")]


def test_an_unknown_specialists_availability_cannot_change(uow):
    with pytest.raises(NotFound):
        replace_schedule(uow, provider_id=SECOND_PROVIDER_ID)


# -- away ranges and overrides -----------------------------------------------------------------


def test_an_away_range_is_added_and_removed_each_time_one_version_on(uow):
    replace_schedule(uow)

    added, away = use_cases.add_away(uow, CLINIC_ID, PROVIDER_ID, first_day=date(2026, 5, 1),
                                     last_day=date(2026, 5, 9), note="Vacation", actor=STAFF, now=NOW)
    removed = use_cases.remove_away(uow, CLINIC_ID, PROVIDER_ID, away.away_id, actor=STAFF, now=NOW)

    assert (added.version, added.away, removed.version, removed.away) == (2, (away,), 3, ())
    assert [event.version for event, _ in uow.published] == [1, 2, 3]
    assert uow.published[1][0].away[0].note == "Vacation"


def test_an_away_range_ending_before_it_starts_is_refused(uow):
    with pytest.raises(Invalid) as refused:
        use_cases.add_away(uow, CLINIC_ID, PROVIDER_ID, first_day=date(2026, 5, 9), last_day=date(2026, 5, 1),
                           note="", actor=STAFF, now=NOW)

    assert fields(refused) == [("last_day", "is before the first day")]
    assert uow.published == []


def test_removing_an_away_range_not_held_is_not_found(uow):
    with pytest.raises(NotFound, match="away range"):
        use_cases.remove_away(uow, CLINIC_ID, PROVIDER_ID, uuid.uuid4(), actor=STAFF, now=NOW)


def test_overrides_are_added_and_removed(uow):
    added, override = use_cases.add_override(uow, CLINIC_ID, PROVIDER_ID, day=date(2026, 4, 4), kind="extra_hours",
                                             start="10:00", end="12:00", note="", actor=STAFF, now=NOW)
    removed = use_cases.remove_override(uow, CLINIC_ID, PROVIDER_ID, override.override_id, actor=STAFF, now=NOW)

    assert (added.overrides, removed.overrides, removed.version) == ((override,), (), 2)
    assert uow.published[0][0].overrides[0].kind == "extra_hours"


def test_closing_a_day_already_closed_is_refused(uow):
    use_cases.add_override(uow, CLINIC_ID, PROVIDER_ID, day=date(2026, 4, 4), kind="closed", start=None, end=None,
                           note="Conference", actor=STAFF, now=NOW)

    with pytest.raises(Invalid) as refused:
        use_cases.add_override(uow, CLINIC_ID, PROVIDER_ID, day=date(2026, 4, 4), kind="closed", start=None,
                               end=None, note="", actor=STAFF, now=NOW)

    assert fields(refused) == [("day", "2026-04-04 is already closed all day")]


def test_removing_an_override_not_held_is_not_found(uow):
    with pytest.raises(NotFound, match="override"):
        use_cases.remove_override(uow, CLINIC_ID, PROVIDER_ID, uuid.uuid4(), actor=STAFF, now=NOW)


# -- the audit trail ---------------------------------------------------------------------------


def test_a_change_by_staff_or_a_specialist_is_audited_with_the_part_it_changed(uow):
    specialist = Actor("provider", uuid.uuid4())
    replace_schedule(uow)
    _, away = use_cases.add_away(uow, CLINIC_ID, PROVIDER_ID, first_day=date(2026, 5, 1), last_day=date(2026, 5, 9),
                                 note="Surgery", actor=specialist, now=NOW)

    schedule, added = uow.appointments.entries
    assert (schedule.action, schedule.actor, schedule.provider_id) == (
        "availability.schedule_replaced", STAFF, PROVIDER_ID)
    assert (schedule.appointment_id, schedule.patient_id, schedule.occurred_at) == (None, None, NOW)
    assert schedule.before == {"timezone": "Europe/Bucharest", "rules": [], "blackout_dates": [], "version": 0}
    assert len(schedule.after["rules"]) == 5 and schedule.after["version"] == 1
    assert (added.action, added.actor, added.before) == ("availability.away_added", specialist, None)
    assert added.after == {"away_id": str(away.away_id), "first_day": "2026-05-01", "last_day": "2026-05-09",
                           "version": 2}  # the note may say why they are away: not kept


@pytest.mark.parametrize("kind", ["system", "patient"])
def test_a_change_by_anyone_but_staff_or_a_specialist_is_not_audited(uow, kind):
    replace_schedule(uow, actor=Actor(kind))

    assert uow.appointments.entries == []


def test_a_change_that_changes_nothing_or_is_refused_is_not_audited(uow):
    replace_schedule(uow)
    replace_schedule(uow, expected_version=1)
    with pytest.raises(StaleVersion):
        replace_schedule(uow, rules=WORKDAYS[:1], expected_version=0)

    assert len(uow.appointments.entries) == 1


# -- slots -------------------------------------------------------------------------------------


def query(**changes) -> SlotQuery:
    return SlotQuery(**{"clinic_id": CLINIC_ID, "service_id": SERVICE_ID, "first_day": date(2026, 4, 6),
                        "last_day": date(2026, 4, 6), "timezone": "Europe/Bucharest", **changes})


def starts(found) -> list[tuple[str, uuid.UUID]]:
    return [(f"{slot.start:%H:%M}", slot.provider_id) for slot in found]


@pytest.fixture
def two_specialists(uow, provider, service):
    """Both deliver the 50-minute service (5 minutes' prep, 10 of wrap time); Ana works
    09:00-12:00 on weekdays, Bogdan 10:00-12:00 on Mondays."""
    uow.providers.keep_newest(provider(1, provider_id=SECOND_PROVIDER_ID, name="Dr. Bogdan Ionescu"))
    uow.services.keep_newest(service(2, provider_ids=(PROVIDER_ID, SECOND_PROVIDER_ID)))
    replace_schedule(uow)
    replace_schedule(uow, provider_id=SECOND_PROVIDER_ID, rules=(WeeklyRule(1, "10:00", "12:00"),))
    return uow


def test_slots_come_from_the_availability_of_the_services_specialists(two_specialists):
    found = slots_of_service(two_specialists, FakeBusyTimes(), query(), NOW)

    assert starts(found) == [("09:00", PROVIDER_ID), ("09:50", PROVIDER_ID), ("10:00", SECOND_PROVIDER_ID),
                             ("10:40", PROVIDER_ID), ("10:50", SECOND_PROVIDER_ID)]
    assert all(slot.end.timestamp() - slot.start.timestamp() == 50 * 60 for slot in found)


def test_slots_of_one_specialist_when_asked(two_specialists):
    found = slots_of_service(two_specialists, FakeBusyTimes(), query(provider_id=SECOND_PROVIDER_ID), NOW)

    assert starts(found) == [("10:00", SECOND_PROVIDER_ID), ("10:50", SECOND_PROVIDER_ID)]


def test_busy_time_is_asked_for_the_specialists_around_the_days_and_kept_clear_with_buffers(two_specialists):
    # 10:40-11:30 in Bucharest, taking 10:35-11:40 with its buffers.
    appointment = Busy(PROVIDER_ID, datetime(2026, 4, 6, 7, 40, tzinfo=UTC), datetime(2026, 4, 6, 8, 30, tzinfo=UTC),
                       timedelta(minutes=5), timedelta(minutes=10))
    busy_times = FakeBusyTimes(appointment)

    found = slots_of_service(two_specialists, busy_times, query(), NOW)

    assert starts(found) == [("09:00", PROVIDER_ID), ("10:00", SECOND_PROVIDER_ID), ("10:50", SECOND_PROVIDER_ID)]
    (clinic_id, provider_ids, start, end), = busy_times.asked
    assert (clinic_id, provider_ids) == (CLINIC_ID, [PROVIDER_ID, SECOND_PROVIDER_ID])
    assert start <= datetime(2026, 4, 5, 21, 0, tzinfo=UTC) and end >= datetime(2026, 4, 7, 22, 0, tzinfo=UTC)


def test_archived_specialists_and_ones_scheduling_has_not_heard_of_have_no_slots(two_specialists, provider,
                                                                                service):
    two_specialists.providers.keep_newest(provider(3, provider_id=SECOND_PROVIDER_ID, archived=True))
    two_specialists.services.keep_newest(service(3, provider_ids=(PROVIDER_ID, SECOND_PROVIDER_ID, uuid.uuid4())))

    found = slots_of_service(two_specialists, FakeBusyTimes(), query(), NOW)

    assert {provider_id for _, provider_id in starts(found)} == {PROVIDER_ID}
    with pytest.raises(NotFound, match="specialist"):
        slots_of_service(two_specialists, FakeBusyTimes(), query(provider_id=SECOND_PROVIDER_ID), NOW)


def test_a_specialist_who_does_not_deliver_the_service_is_not_found(uow):
    with pytest.raises(NotFound, match="specialist"):
        slots_of_service(uow, FakeBusyTimes(), query(provider_id=SECOND_PROVIDER_ID), NOW)


def test_an_unknown_or_archived_service_has_no_slots(uow, service):
    with pytest.raises(NotFound, match="service"):
        slots_of_service(uow, FakeBusyTimes(), query(service_id=uuid.uuid4()), NOW)
    with pytest.raises(NotFound, match="service"):
        slots_of_service(uow, FakeBusyTimes(), query(clinic_id=OTHER_CLINIC_ID), NOW)
    uow.services.keep_newest(service(2, archived=True))
    with pytest.raises(NotFound, match="service"):
        slots_of_service(uow, FakeBusyTimes(), query(), NOW)


def test_a_named_calendar_limits_the_slots_to_its_hours_and_days(two_specialists, calendar):
    two_specialists.calendars.keep_newest(calendar(1, hours=(HourWindow(1, "10:30", "12:00"),)))

    found = slots_of_service(two_specialists, FakeBusyTimes(), query(calendar_id=CALENDAR_ID), NOW)
    outside = slots_of_service(two_specialists, FakeBusyTimes(),
                               query(calendar_id=CALENDAR_ID, first_day=date(2026, 5, 4), last_day=date(2026, 5, 4)),
                               NOW)

    assert starts(found) == [("10:30", PROVIDER_ID), ("10:30", SECOND_PROVIDER_ID)]
    assert outside == []  # the calendar takes bookings in April only


def test_without_a_calendar_named_any_active_calendar_of_the_service_may_be_used(two_specialists, calendar):
    two_specialists.calendars.keep_newest(calendar(1, hours=(HourWindow(1, "10:30", "12:00"),)))
    two_specialists.calendars.keep_newest(calendar(1, calendar_id=uuid.uuid4(), archived=True,
                                                   hours=(HourWindow(1, "09:00", "10:00"),)))

    found = slots_of_service(two_specialists, FakeBusyTimes(), query(), NOW)

    assert starts(found) == [("10:30", PROVIDER_ID), ("10:30", SECOND_PROVIDER_ID)]


def test_an_unknown_or_archived_calendar_is_not_found(two_specialists, calendar):
    two_specialists.calendars.keep_newest(calendar(1, archived=True))

    for calendar_id in (CALENDAR_ID, uuid.uuid4()):
        with pytest.raises(NotFound, match="calendar"):
            slots_of_service(two_specialists, FakeBusyTimes(), query(calendar_id=calendar_id), NOW)


def test_slots_are_shown_in_the_zone_asked_for(two_specialists):
    found = slots_of_service(two_specialists, FakeBusyTimes(), query(timezone="America/New_York"), NOW)

    assert [f"{slot.start:%H:%M%z}" for slot in found][:2] == ["02:00-0400", "02:50-0400"]


def test_slots_keep_the_minimum_notice(two_specialists):
    found = slots_of_service(two_specialists, FakeBusyTimes(), query(),
                             datetime(2026, 4, 6, 6, 30, tzinfo=UTC))  # 09:30 in Bucharest

    assert starts(found)[0] == ("10:40", PROVIDER_ID)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"timezone": "Europe/Atlantis"}, [("tz", "'Europe/Atlantis' is not an IANA time zone")]),
    ({"last_day": date(2026, 4, 5)}, [("to", "is before the first day (from)")]),
    ({"last_day": date(2026, 4, 6) + timedelta(days=MAX_DAYS)}, [("to", f"ask for at most {MAX_DAYS} days at once")]),
])
def test_a_bad_query_is_refused_field_by_field(two_specialists, changes, expected):
    with pytest.raises(Invalid) as refused:
        slots_of_service(two_specialists, FakeBusyTimes(), query(**changes), NOW)

    assert fields(refused) == expected


def test_the_longest_query_is_62_days(two_specialists):
    found = slots_of_service(two_specialists, FakeBusyTimes(),
                             query(last_day=date(2026, 4, 6) + timedelta(days=MAX_DAYS - 1)), NOW)

    assert found[-1].start.date() == date(2026, 6, 5)


def test_an_override_closing_a_day_leaves_no_slots_that_day(two_specialists):
    use_cases.add_override(two_specialists, CLINIC_ID, PROVIDER_ID, day=date(2026, 4, 6), kind="closed", start=None,
                           end=None, note="", actor=STAFF, now=NOW)

    found = slots_of_service(two_specialists, FakeBusyTimes(), query(), NOW)

    assert {provider_id for _, provider_id in starts(found)} == {SECOND_PROVIDER_ID}
    assert isinstance(two_specialists.availability.get(CLINIC_ID, PROVIDER_ID).overrides[0], DayOverride)
    assert two_specialists.availability.get(CLINIC_ID, PROVIDER_ID).schedule == WeeklySchedule(
        "Europe/Bucharest", WORKDAYS)
