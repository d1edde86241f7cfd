"""The events scheduling consumes (its queue is `<namespace>.scheduling`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clinic_contracts import Envelope
from clinic_contracts.events.catalog import ClinicUpsertedV1
from clinic_runtime.messaging.consumers import EventHandlers
from scheduling.adapters.clinic_directory import SqlClinicDirectory
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.service_layer.clinic_directory import record_clinic

handlers = EventHandlers("scheduling")


@handlers.on(ClinicUpsertedV1)
def on_clinic_upserted(session: Session, event: ClinicUpsertedV1, _envelope: Envelope) -> None:
    record_clinic(SqlClinicDirectory(session), clinic_snapshot(event))


def clinic_snapshot(event: ClinicUpsertedV1) -> ClinicSnapshot:
    """The part of the event scheduling keeps (catalog may add fields to it at any time)."""
    return ClinicSnapshot(
        clinic_id=event.clinic_id, slug=event.slug, name=event.name, timezone=event.timezone,
        currency=event.currency, locale=event.locale, version=event.version,
        archived=event.archived, updated_at=event.updated_at,
    )
