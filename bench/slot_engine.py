"""Benchmark: the slot engine alone (scheduling.domain.slots.find_slots), on one core.

    uv run python bench/slot_engine.py [--runs 50] [--providers 50] [--days 60] [--appointments 2000]

No database, broker or service: it builds the engine's inputs in memory and calls the pure
function, as the slots route does once it has read them. The clinic (seeded, so every run sees
the same one): --providers specialists (four in five in Europe/Bucharest, the others in
Europe/London), each working Monday to Friday 09:00-13:00 and 14:00-18:00 with a Saturday morning
every other week (a rule valid only in April), two blackout dates, an away range and a day of
extra hours; one booking calendar (Monday to Saturday 08:00-20:00, Europe/Bucharest, bookable
over the whole range). The service lasts 30 minutes with 5 minutes of prep and 10 of wrap time,
so slots are 30 minutes on a 30-minute grid. --appointments appointments (30 minutes, with the
same buffers) are spread at random over the specialists' working hours. The --days requested days
start on 2 March 2026, so the range crosses Europe's change to summer time (29 March); `now` is
the day before, with 2 hours' notice and a 90-day horizon.

Each run asks for every specialist's slots over the whole range, in America/New_York (the
patient's zone, not the specialists'). After 3 unmeasured runs, it prints the number of slots,
then p50 / p99 / min over --runs runs in milliseconds, both of the time the call took and of the
CPU it used (the CPU time is the fairer figure on a busy machine), and the load average before
and after. The process is pinned to one core where the system allows it. Target: at most 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from measure import percentile

from scheduling.domain.availability import AwayRange, DayOverride, ProviderAvailability, WeeklyRule, WeeklySchedule
from scheduling.domain.offerings import HourWindow
from scheduling.domain.slots import Busy, CalendarHours, ServiceTimes, find_slots

CLINIC_ID = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7a60")
FIRST_DAY = date(2026, 3, 2)
WORKING_HOURS = (("09:00", "13:00"), ("14:00", "18:00"))
SERVICE = ServiceTimes(timedelta(minutes=30), buffer_before=timedelta(minutes=5), buffer_after=timedelta(minutes=10))


def clinic(providers: int, days: int, appointments: int, seed: int = 7) -> dict:
    """The engine's inputs for one seeded clinic."""
    rng = random.Random(seed)
    last_day = FIRST_DAY + timedelta(days=days - 1)
    availabilities = []
    for number in range(providers):
        provider_id = uuid.UUID(int=rng.getrandbits(128))
        zone = "Europe/London" if number % 5 == 4 else "Europe/Bucharest"
        rules = [WeeklyRule(weekday, start, end) for weekday in range(1, 6) for start, end in WORKING_HOURS]
        rules.append(WeeklyRule(6, "09:00", "12:00", valid_from=date(2026, 4, 1), valid_until=date(2026, 4, 30)))
        blackouts = tuple(sorted({FIRST_DAY + timedelta(days=rng.randrange(days)) for _ in range(2)}))
        away_from = FIRST_DAY + timedelta(days=rng.randrange(days))
        away = (AwayRange(uuid.UUID(int=rng.getrandbits(128)), away_from, away_from + timedelta(days=4)),)
        extra = (DayOverride(uuid.UUID(int=rng.getrandbits(128)), FIRST_DAY + timedelta(days=rng.randrange(days)),
                             "extra_hours", "18:00", "20:00"),)
        availabilities.append(ProviderAvailability(
            CLINIC_ID, provider_id, WeeklySchedule(zone, tuple(rules), blackouts), away, extra, version=1,
            updated_at=None))
    busy = []
    for _ in range(appointments):
        availability = rng.choice(availabilities)
        zone = ZoneInfo(availability.schedule.timezone)
        while True:
            day = FIRST_DAY + timedelta(days=rng.randrange(days))
            if day.isoweekday() <= 5:
                break
        start_hour, _ = rng.choice(WORKING_HOURS)
        start = datetime.combine(day, datetime.strptime(start_hour, "%H:%M").time(), zone)
        start += timedelta(minutes=30 * rng.randrange(8))
        busy.append(Busy(availability.provider_id, start.astimezone(UTC), (start + timedelta(minutes=30)).astimezone(UTC),
                         SERVICE.buffer_before, SERVICE.buffer_after))
    calendar = CalendarHours("Europe/Bucharest", tuple(HourWindow(weekday, "08:00", "20:00") for weekday in range(1, 7)),
                             FIRST_DAY, last_day)
    return {
        "availabilities": availabilities, "service": SERVICE, "first_day": FIRST_DAY, "last_day": last_day,
        "timezone": "America/New_York", "now": datetime(2026, 3, 1, 7, 0, tzinfo=UTC), "calendars": [calendar],
        "busy": busy, "minimum_notice": timedelta(hours=2), "horizon": timedelta(days=90),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--appointments", type=int, default=2000)
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    inputs = clinic(options.providers, options.days, options.appointments)
    load_before = os.getloadavg()
    for _ in range(3):
        slots = find_slots(**inputs)
    elapsed, cpu = [], []
    for _ in range(options.runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        find_slots(**inputs)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        elapsed.append((time.perf_counter() - started) * 1000)
    load_after = os.getloadavg()

    print(f"{options.providers} providers x {options.days} days, {options.appointments} appointments: "
          f"{len(slots)} slots of 30 minutes")
    for name, values in (("elapsed", elapsed), ("cpu", cpu)):
        print(f"{name:>8}: p50 {statistics.median(values):6.1f} ms   p99 {percentile(sorted(values), 99):6.1f} ms   "
              f"min {min(values):6.1f} ms   ({options.runs} runs)")
    print(f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after, "
          f"on {os.cpu_count()} cores; target p50 <= 50 ms")


if __name__ == "__main__":
    main()
