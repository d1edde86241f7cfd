"""Booking: the design's journey up to the hold, for patients (public) and staff (phone) alike.

1. With an enrollment, entitlements reserves one of its sessions for the appointment (409 when
   none is left, or the enrollment is not the patient's or not usable).
2. Scheduling creates the hold: the appointment `pending_payment`, its slot taken until
   `hold_expires_at` (409 `slot-taken` when the time is not free: the database decides races).
3. When scheduling refuses the hold, the reservation is released at once, unless the refusal is
   a 409 and the appointment exists: with an Idempotency-Key its id is the key's own, so a
   request with the same key racing this one made it, and it is the answer. A reservation is
   released only by the call that made it (entitlements answered 201; a 200 replays the
   reservation of a request with the same key, which is that request's to keep), and never on a
   refusal `appointment-exists` (the appointment id is another request's, with another body,
   and the reservation is that appointment's). When scheduling gives
   no answer (a timeout) the hold may exist, so the reservation is kept: it is committed by the
   appointment's confirmation, released by its expiry, or released by entitlements' own timer
   after its `expires_at` if no appointment ever used it. A retry answered with an appointment an
   earlier attempt made that holds no time any more (expired, canceled, rescheduled) gives back
   the session the retry just took.
0. A booking that may register a new patient (it names the patient by contact details) first
   asks entitlements whether the clinic's plan has room for another patient. When it has none,
   scheduling is told so, and books only for a patient it already knows; a new one is refused
   with entitlements' `limit-reached` problem, naming the limit and the plan. A "no limit" answer
   is remembered per web process (`RoomForPatients`), since most plans cap no patients.
4. A hold with nothing to pay (an enrollment's session covers it, or the price is zero) is settled
   at once: scheduling makes it `paid` without a payment and confirms it with its meeting. Should
   that call fail, the hold stays `pending_payment` and expires like an unpaid one, which
   releases the session; the answer is the hold as it stands.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clinic_runtime.problems import TYPE_BASE
from gateway.adapters.entitlements import Entitlements
from gateway.adapters.scheduling import Reservations, Scheduling
from gateway.adapters.upstream import Refused, Reply, ServiceUnavailable
from gateway.domain.access import DecisionCache

log = logging.getLogger(__name__)

# The appointment's statuses whose session a reservation pays for: before the visit is over.
HOLDING_TIME = ("pending_payment", "paid")


@dataclass(frozen=True)
class Hold:
    """What scheduling is asked to hold, as its body (`appointment_id` included)."""

    clinic_id: uuid.UUID
    appointment_id: uuid.UUID
    body: dict[str, Any]
    idempotency_key: str | None
    enrollment_id: uuid.UUID | None = None
    patient_id: uuid.UUID | None = None  # the enrollment's patient, needed to reserve


class RoomForPatients:
    """Whether a clinic may register another patient, as entitlements' admission answers.

    An answer of "no limit" is remembered for `seconds`, or until the clinic's access generation
    moves (a subscription or override change advances it); a capped clinic is asked every time,
    since its count moves with every new patient."""

    def __init__(self, seconds: float) -> None:
        self._unlimited: DecisionCache[uuid.UUID, bool] = DecisionCache(seconds)

    def refusal(self, entitlements: Entitlements, clinic_id: uuid.UUID, generation: int, now: float) -> Refused | None:
        """Entitlements' `limit-reached` refusal when the clinic has no room, else None."""
        if self._unlimited.get(clinic_id, generation, now):
            return None
        try:
            admitted = entitlements.admit(clinic_id, "patients")
        except Refused as refused:
            if refused.reply.status == 409:
                return refused
            raise
        if admitted.body.get("allowed") is None:
            self._unlimited.put(clinic_id, True, generation, now)
        return None


def book(scheduling: Scheduling, reservations: Reservations, hold: Hold) -> Reply:
    """Scheduling's answer (the appointment); `Refused` or `ServiceUnavailable` as they came."""
    reserved: Reply | None = None
    if hold.enrollment_id is not None:
        if hold.patient_id is None:
            raise ValueError("a booking against an enrollment names its patient")
        reserved = reservations.reserve(hold.clinic_id, hold.enrollment_id, hold.appointment_id, hold.patient_id,
                                        uuid.UUID(hold.body["service_id"]))
        if not isinstance(reserved.body, dict) or reserved.body.get("status") not in ("reserved", "committed"):
            # A session that is not held for this appointment pays for nothing: no hold without one.
            raise Refused("entitlements", Reply(409, {
                "type": TYPE_BASE + "reservation-not-held", "title": "No session is held for this booking.",
                "status": 409, "detail": "The enrollment's session for this appointment was released; book again."}))
    try:
        held = scheduling.create(hold.clinic_id, "/appointments", hold.body, hold.idempotency_key)
    except Refused as refused:
        if hold.idempotency_key is not None and refused.reply.status == 409:
            # The id is the key's own: a request with the same key, racing this one, made it.
            made = _held_already(scheduling, hold)
            if made is not None:
                return made
        if _ours_to_release(reserved, refused):
            _release(reservations, hold)
        raise
    if reserved is not None and reserved.status == 201 and held.body["status"] not in HOLDING_TIME:
        # A retry answered with its appointment as it stands: a hold that expired or was canceled
        # since uses no session, so the one this call took goes back now, not at its expiry.
        _release(reservations, hold)
        return held
    return _settled_if_nothing_to_pay(scheduling, hold, held)


def _settled_if_nothing_to_pay(scheduling: Scheduling, hold: Hold, held: Reply) -> Reply:
    nothing_to_pay = held.body["enrollment_id"] is not None or held.body["price"]["amount_minor"] == 0
    if held.body["status"] != "pending_payment" or not nothing_to_pay:
        return held
    try:
        settled = scheduling.create(hold.clinic_id, f"/appointments/{hold.appointment_id}/settle",
                                    {"actor": hold.body["actor"]} if "actor" in hold.body else {}, None)
    except (Refused, ServiceUnavailable) as error:
        log.warning("a booking with nothing to pay was not settled: %s", error,
                    extra={"appointment_id": str(hold.appointment_id), "clinic_id": str(hold.clinic_id)})
        return held
    # Still the booking's answer (201 Created), showing the appointment as it now stands.
    return Reply(held.status, settled.body, {**held.headers, **settled.headers})


def _held_already(scheduling: Scheduling, hold: Hold) -> Reply | None:
    """The appointment of this hold's id, if it is the one asked for (service and start)."""
    try:
        made = scheduling.read(hold.clinic_id, f"/appointments/{hold.appointment_id}")
    except Refused:
        return None
    asked = (hold.body["service_id"], datetime.fromisoformat(hold.body["start"]))
    if (made.body["service_id"], datetime.fromisoformat(made.body["start"])) != asked:
        return None
    return made


def _ours_to_release(reserved: Reply | None, refused: Refused) -> bool:
    """Only a reservation this call made (201, not a 200 replay of one a request with the same key
    made), and never on `appointment-exists` (the appointment, and its reservation, are another's)."""
    if reserved is None or reserved.status != 201:
        return False
    body = refused.reply.body if isinstance(refused.reply.body, dict) else {}
    return not str(body.get("type", "")).endswith("/appointment-exists")


def _release(reservations: Reservations, hold: Hold) -> None:
    try:
        reservations.release(hold.clinic_id, hold.appointment_id)
    except (Refused, ServiceUnavailable) as error:
        # Entitlements' timer releases an unused reservation after it expires.
        log.warning("reservation not released: %s", error,
                    extra={"appointment_id": str(hold.appointment_id), "clinic_id": str(hold.clinic_id)})
