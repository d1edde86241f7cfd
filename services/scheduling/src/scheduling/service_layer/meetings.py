"""The meetings job: makes, moves and cancels appointments' video meetings, and confirms paid
appointments once their meeting exists.

Why a job and not the payment's consumer: a call to Zoom must not sit inside a database
transaction (a slow or failing provider would hold locks, and a transaction that rolls back after
Zoom made a meeting would make another on the retry). So commands only record what is due on the
appointment (`meeting_due`), and this job, in three steps per appointment:
1. claims ONE appointment in a short transaction (a lease, `meeting_claimed_until`, under this
   run's claim token `meeting_claim`; PostgreSQL skips rows another worker holds), so two
   workers never work on one appointment at once; one at a time so that a slow provider (up to
   ~30 s a call) never outlasts the lease of work still waiting its turn;
2. calls the provider with no transaction open;
3. records the outcome in a second short transaction, on the appointment as it is then, and only
   if the appointment is still under this run's claim (compared in the UPDATE that ends it): a
   lease that ran out and was claimed by another run records nothing, and a meeting this run
   made is cancelled (the new holder makes its own). Otherwise a paid appointment gets its
   meeting and `scheduling.appointment.confirmed.v1`; one canceled or moved meanwhile keeps the
   meeting recorded and has it cancelled on the next round (so it is never lost, nor made twice:
   a meeting is created only while none is recorded). A confirmed appointment whose meeting
   the provider had lost gets a new one, announced by `scheduling.appointment.video_changed.v1`
   in the transaction that records it.
A provider failure (VideoUnavailable) leaves the work due; it is tried again when the lease ends.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta

from clinic_contracts.events import scheduling as events
from scheduling.adapters.video import MeetingNotFound, VideoMeetings, VideoUnavailable
from scheduling.domain.appointments import Appointment, MeetingDue
from scheduling.domain.errors import RuleBroken
from scheduling.domain.video import MeetingRequest, VideoMeeting
from scheduling.service_layer.appointments import SYSTEM, confirmed_event, event_actor, snapshot, video_event
from scheduling.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 20


def run_meeting_work(unit: Callable[[], AbstractContextManager[UnitOfWork]], video: VideoMeetings,
                     now: Callable[[], datetime]) -> int:
    """Do the meeting work due now, one appointment at a time (at most BATCH); the number of
    appointments whose work was done."""
    claim = uuid.uuid4()
    done = 0
    for _ in range(BATCH):
        with unit() as uow:
            claimed = uow.appointments.claim_meeting_work(now(), LEASE, claim, 1)
            if not claimed:
                break
            [appointment] = claimed
            try:
                request = _request(uow, appointment)
            except RuleBroken as broken:
                # The claim is kept until its lease ends, so every other appointment's work goes on.
                log.error("no meeting can be asked for this appointment; its work stays due",
                          extra={"appointment_id": str(appointment.appointment_id), "work": appointment.meeting_due,
                                 "field": broken.field, "problem": broken.message})
                continue
        try:
            meeting, made = _call(video, appointment, request)
        except VideoUnavailable:
            log.warning("video provider unavailable; the meeting work stays due",
                        extra={"appointment_id": str(appointment.appointment_id), "work": appointment.meeting_due})
            continue
        with unit() as uow:
            recorded = _record(uow, appointment, meeting, made, claim, now())
        if not recorded:
            _undo(video, appointment, meeting if made else None)
            continue
        done += 1
    return done


def _call(video: VideoMeetings, appointment: Appointment,
          request: MeetingRequest) -> tuple[VideoMeeting | None, bool]:
    """The meeting the appointment should now have, and whether this call made it anew."""
    if appointment.meeting_due == "cancel":
        video.cancel(appointment.video.meeting_id)
        return None, False
    if appointment.meeting_due == "update" and appointment.video is not None:
        try:
            return video.update(appointment.video.meeting_id, request), False
        except MeetingNotFound:
            return video.create(request), True
    if appointment.video is None:
        return video.create(request), True
    return appointment.video, False


def _undo(video: VideoMeetings, claimed: Appointment, made: VideoMeeting | None) -> None:
    """The claim was lost while the provider was called: whoever holds it now does the work, so a
    meeting made here (`made`) is one too many."""
    log.warning("meeting claim lost while the provider was called; the work is left to its new holder",
                extra={"appointment_id": str(claimed.appointment_id), "work": claimed.meeting_due})
    if made is None:
        return
    try:
        video.cancel(made.meeting_id)
    except (VideoUnavailable, MeetingNotFound):
        log.error("could not cancel a meeting made under a lost claim",
                  extra={"appointment_id": str(claimed.appointment_id), "meeting_id": made.meeting_id})


def _record(uow: UnitOfWork, claimed: Appointment, meeting: VideoMeeting | None, made: bool, claim: uuid.UUID,
            now: datetime) -> bool:
    """Record the outcome on the appointment as it is now; False (nothing recorded) when the
    appointment is no longer under this run's claim."""
    current = uow.appointments.held_for_change(claimed.clinic_id, claimed.appointment_id)
    if not uow.appointments.release_meeting_claim(claimed.clinic_id, claimed.appointment_id, claim):
        return False
    if current is None:
        return True
    if claimed.meeting_due == "cancel":
        if current.meeting_due == "cancel":
            uow.appointments.save(current.meeting_done())
        return True
    if current.status == "paid" and current.confirmed_at is None and meeting is not None:
        confirmed = current.confirm(meeting, now)
        uow.appointments.save(confirmed)
        uow.publish(confirmed_event(confirmed, now), clinic_id=confirmed.clinic_id)
    elif current.status in ("paid", "pending_payment") and meeting is not None:
        still_due = current.meeting_due if current.version != claimed.version else None
        changed = _with_video(current, meeting, still_due)
        uow.appointments.save(changed)
        if made and claimed.video is not None:
            uow.publish(events.AppointmentVideoChangedV1(
                clinic_id=changed.clinic_id, appointment=snapshot(changed), actor=event_actor(SYSTEM),
                occurred_at=now, video=video_event(meeting)), clinic_id=changed.clinic_id)
    elif meeting is not None and (made or current.status != "rescheduled"):
        # Canceled, moved or expired while the meeting was being made: keep it on record and
        # have it cancelled on the next round. A meeting moved in place is not this one's to
        # cancel once the appointment is rescheduled: its successor took it over, and moves it.
        uow.appointments.save(_with_video(current, meeting, "cancel"))
    return True


def _with_video(appointment: Appointment, meeting: VideoMeeting, due: MeetingDue | None) -> Appointment:
    return replace(appointment, video=meeting, meeting_due=due)


def _request(uow: UnitOfWork, appointment: Appointment) -> MeetingRequest:
    service = uow.services.get(appointment.clinic_id, appointment.service_id)
    provider = uow.providers.get(appointment.clinic_id, appointment.provider_id)
    topic = " with ".join(name for name in (service.name if service else "Appointment",
                                            provider.name if provider else None) if name)
    return MeetingRequest(appointment.appointment_id, topic, appointment.start,
                          int((appointment.end - appointment.start).total_seconds() // 60), appointment.timezone)
