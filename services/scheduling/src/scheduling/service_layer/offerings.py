"""Use cases on scheduling's read model of what clinics offer (providers, services, calendars).

Each keeps a snapshot only if it is newer than the one held (events may arrive out of order,
an archive before a late change) and answers True when it was kept.
"""

from __future__ import annotations

from scheduling.adapters.offerings import CalendarDirectory, ProviderDirectory, ServiceDirectory
from scheduling.domain.offerings import CalendarSnapshot, ProviderSnapshot, ServiceSnapshot


def record_provider(directory: ProviderDirectory, snapshot: ProviderSnapshot) -> bool:
    return directory.keep_newest(snapshot)


def record_service(directory: ServiceDirectory, snapshot: ServiceSnapshot) -> bool:
    return directory.keep_newest(snapshot)


def record_calendar(directory: CalendarDirectory, snapshot: CalendarSnapshot) -> bool:
    return directory.keep_newest(snapshot)
