"""What the gateway decides about a booking itself (scheduling decides everything else).

- The appointment's id is chosen here, before anything is written, so that a reservation at
  entitlements and the hold at scheduling name the same appointment. With an Idempotency-Key it
  is derived from the key (a repeated request, even one racing the first, names the same
  appointment and so reserves and holds nothing twice); without one it is a fresh uuid7.
- The booking token (gateway.domain.tokens) is valid until BOOKING_TOKEN_AFTER_END after the
  appointment ends: long enough to read it back after the visit, never forever.
- Payment: billing does not exist yet; a booking answers `payment` as awaiting billing, with the
  amount to pay. Billing fills it in (its own status and the processor's client secret) when it
  arrives.
- What the patient sees: the video link to join once the appointment is paid, never the host's.
- The host link (`video.host_url`) starts the meeting as its host: it is for the appointment's own
  specialist alone (the caller whose provider is the appointment's `provider_id`). Everyone else
  who reads an appointment (receptionists, admins, other specialists) sees its video without it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from clinic_contracts import uuid7

BOOKING_TOKEN_AFTER_END = timedelta(days=30)
# A fixed namespace for the ids derived from an idempotency key (uuid5 over it).
APPOINTMENT_IDS = uuid.UUID("0190f3a2-6c1e-7b4d-9a53-2f8e4c1d7cb0")
JOINABLE = frozenset({"paid"})
AWAITING_BILLING = "awaiting_billing"


def appointment_id_for(clinic_id: uuid.UUID, caller: str, idempotency_key: str | None) -> uuid.UUID:
    """`caller` scopes the key: an account id, or "" for a guest (guests share one scope, so
    their keys must be random, e.g. a UUID)."""
    if idempotency_key is None:
        return uuid7()
    return uuid.uuid5(APPOINTMENT_IDS, f"{clinic_id}\n{caller}\n{idempotency_key}")


def booking_token_expiry(appointment_end: datetime) -> datetime:
    return appointment_end + BOOKING_TOKEN_AFTER_END


def payment_of(appointment: dict[str, Any]) -> dict[str, Any]:
    """The payment part of a booking until billing exists: nothing to pay through it yet."""
    return {"status": AWAITING_BILLING, "amount": appointment.get("price")}


def hosted(appointment: dict[str, Any]) -> bool:
    """Whether the appointment carries a host link."""
    video = appointment.get("video")
    return isinstance(video, dict) and "host_url" in video


def shown_to(appointment: dict[str, Any], provider_id: uuid.UUID | None) -> dict[str, Any]:
    """The appointment as the caller who is `provider_id` (None: no specialist) may see it."""
    if not hosted(appointment) or (provider_id is not None and appointment.get("provider_id") == str(provider_id)):
        return appointment
    video = {name: value for name, value in appointment["video"].items() if name != "host_url"}
    return {**appointment, "video": video}


def video_for_patient(appointment: dict[str, Any]) -> dict[str, Any] | None:
    """Only the link to join, and only once paid: the host link is the specialist's alone."""
    video = appointment.get("video")
    if appointment.get("status") not in JOINABLE or not isinstance(video, dict) or not video.get("join_url"):
        return None
    return {"join_url": video["join_url"]}
