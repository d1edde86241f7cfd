"""Scheduling's internal API, and entitlements' enrollment reservations, as the gateway uses them.

Scheduling owns every rule of slots, holds, appointments, patients and availability: the gateway
sends what the client asked below `/clinics/<clinic_id>` (an `entry`, e.g. `/appointments/<id>`)
and gets scheduling's answer back as a `Reply`, or its problem as `Refused`.

A booking against an enrollment first reserves one of its sessions at entitlements; the
reservation is released again when the hold could not be made.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from gateway.adapters.upstream import ClinicEntries, JsonService, Reply


class Scheduling(Protocol):
    def read(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply: ...
    def create(self, clinic_id: uuid.UUID, entry: str, body: object, idempotency_key: str | None,
               if_match: str | None = None) -> Reply:
        """A POST (creating, or a command on an appointment)."""
    def change(self, clinic_id: uuid.UUID, entry: str, body: object, if_match: str | None) -> Reply: ...
    def remove(self, clinic_id: uuid.UUID, entry: str, params: Mapping[str, str] | None = None) -> Reply: ...


class SchedulingClient(ClinicEntries):
    """Scheduling's web process, below `/clinics/<clinic_id>`."""


class Reservations(Protocol):
    """Sessions of a patient's enrollment held for an appointment (entitlements)."""

    def reserve(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, appointment_id: uuid.UUID,
                patient_id: uuid.UUID, service_id: uuid.UUID) -> Reply:
        """409 when no session is left, or the enrollment is not the patient's or not for the service."""
    def release(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> None: ...


class EntitlementsReservations:
    def __init__(self, service: JsonService) -> None:
        self._service = service

    def reserve(self, clinic_id: uuid.UUID, enrollment_id: uuid.UUID, appointment_id: uuid.UUID,
                patient_id: uuid.UUID, service_id: uuid.UUID) -> Reply:
        return self._service.call("POST", f"/clinics/{clinic_id}/enrollments/{enrollment_id}/reservations",
                                  json={"appointment_id": str(appointment_id), "patient_id": str(patient_id),
                                        "service_id": str(service_id)})

    def release(self, clinic_id: uuid.UUID, appointment_id: uuid.UUID) -> None:
        self._service.call("POST", f"/clinics/{clinic_id}/reservations/{appointment_id}/release")
