"""The events that keep entitlements' usage meters: specialists and locations from catalog, video
minutes from scheduling's completed consultations. Patients are counted from the patient read
model its own consumers keep, staff users from entitlements' role assignments.

`register_usage_meters(handlers)` adds these handlers to the service's consumer group
(entitlements.entrypoints.consumers calls it); this module imports nothing of that one, so there
is no import cycle. A consumer that also needs `scheduling.appointment.completed.v1` calls
`count_video_minutes` from its own handler (one handler per event type and group).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1, ProviderArchivedV1, ProviderUpsertedV1
from clinic_contracts.events.scheduling import AppointmentCompletedV1
from clinic_runtime.messaging.consumers import EventHandlers
from entitlements.service_layer import usage
from entitlements.service_layer.usage_unit_of_work import SqlUsageUnitOfWork


def count_specialist(session: Session, event: ProviderUpsertedV1 | ProviderArchivedV1, _: Envelope) -> None:
    usage.keep_specialist(SqlUsageUnitOfWork(session), event.clinic_id, event.provider_id, event.version,
                          event.archived)


def count_locations(session: Session, event: ClinicUpsertedV1, _: Envelope) -> None:
    usage.keep_locations(SqlUsageUnitOfWork(session), event.clinic_id, event.version,
                         [(location.location_id, location.archived) for location in event.locations])


def count_video_minutes(session: Session, event: AppointmentCompletedV1, _: Envelope) -> None:
    """An appointment without a location took place by video: its minutes count."""
    appointment = event.appointment
    if appointment.location_id is not None:
        return
    usage.count_video_consultation(SqlUsageUnitOfWork(session), event.clinic_id, appointment.appointment_id,
                                   appointment.start, appointment.end)


def register_usage_meters(handlers: EventHandlers) -> None:
    handlers.on(ProviderUpsertedV1, ProviderArchivedV1)(count_specialist)
    handlers.on(ClinicUpsertedV1)(count_locations)
    handlers.on(AppointmentCompletedV1)(count_video_minutes)
