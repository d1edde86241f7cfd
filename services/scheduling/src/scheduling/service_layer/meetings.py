"""The meetings job: makes, moves and cancels appointments' video meetings, and confirms paid
appointments once their meeting exists.

Why a job and not the payment's consumer: a call to Zoom must not sit inside a database
transaction (a slow or failing provider would hold locks, and a transaction that rolls back after
Zoom made a meeting would make another on the retry). So commands only record what is due on the
appointment (`meeting_due`), and this job, in three steps per appointment:
1. claims work in a short transaction (a lease, `meeting_claimed_until`; PostgreSQL skips rows
   another worker holds), so two workers never work on one appointment at once;
2. calls the provider with no transaction open;
3. records the outcome in a second short transaction, on the appointment as it is then: a paid
   appointment gets its meeting and `scheduling.appointment.confirmed.v1`; one canceled or moved
   meanwhile keeps the meeting recorded and has it cancelled on the next round (so it is never
   lost, nor made twice: a meeting is created only while none is recorded).
A provider failure (VideoUnavailable) leaves the work due; it is tried again when the lease ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta

from scheduling.adapters.video import MeetingNotFound, VideoMeetings, VideoUnavailable
from scheduling.domain.appointments import Appointment, MeetingDue
from scheduling.domain.video import MeetingRequest, VideoMeeting
from scheduling.service_layer.appointments import confirmed_event
from scheduling.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 20


def run_meeting_work(unit: Callable[[], AbstractContextManager[UnitOfWork]], video: VideoMeetings,
                     now: Callable[[], datetime]) -> int:
    """Do the meeting work due now; the number of appointments whose work was done."""
    with unit() as uow:
        claimed = uow.appointments.claim_meeting_work(now(), LEASE, BATCH)
        requests = {appointment.appointment_id: _request(uow, appointment) for appointment in claimed}
    done = 0
    for appointment in claimed:
        try:
            meeting = _call(video, appointment, requests[appointment.appointment_id])
        except VideoUnavailable:
            log.warning("video provider unavailable; the meeting work stays due",
                        extra={"appointment_id": str(appointment.appointment_id), "work": appointment.meeting_due})
            continue
        with unit() as uow:
            _record(uow, appointment, meeting, now())
        done += 1
    return done


def _call(video: VideoMeetings, appointment: Appointment, request: MeetingRequest) -> VideoMeeting | None:
    if appointment.meeting_due == "cancel":
        video.cancel(appointment.video.meeting_id)
        return None
    if appointment.meeting_due == "update" and appointment.video is not None:
        try:
            return video.update(appointment.video.meeting_id, request)
        except MeetingNotFound:
            return video.create(request)
    return video.create(request) if appointment.video is None else appointment.video


def _record(uow: UnitOfWork, claimed: Appointment, meeting: VideoMeeting | None, now: datetime) -> None:
    current = uow.appointments.held_for_change(claimed.clinic_id, claimed.appointment_id)
    uow.appointments.release_meeting_claim(claimed.clinic_id, claimed.appointment_id)
    if current is None:
        return
    if claimed.meeting_due == "cancel":
        if current.meeting_due == "cancel":
            uow.appointments.save(current.meeting_done())
        return
    if current.status == "paid" and current.confirmed_at is None and meeting is not None:
        confirmed = current.confirm(meeting, now)
        uow.appointments.save(confirmed)
        uow.publish(confirmed_event(confirmed, now), clinic_id=confirmed.clinic_id)
    elif current.status in ("paid", "pending_payment") and meeting is not None:
        still_due = current.meeting_due if current.version != claimed.version else None
        uow.appointments.save(_with_video(current, meeting, still_due))
    elif meeting is not None:
        # Canceled, moved or expired while the meeting was being made: keep it on record and
        # have it cancelled on the next round.
        uow.appointments.save(_with_video(current, meeting, "cancel"))


def _with_video(appointment: Appointment, meeting: VideoMeeting, due: MeetingDue | None) -> Appointment:
    return replace(appointment, video=meeting, meeting_due=due)


def _request(uow: UnitOfWork, appointment: Appointment) -> MeetingRequest:
    service = uow.services.get(appointment.clinic_id, appointment.service_id)
    provider = uow.providers.get(appointment.clinic_id, appointment.provider_id)
    topic = " with ".join(name for name in (service.name if service else "Appointment",
                                            provider.name if provider else None) if name)
    return MeetingRequest(appointment.appointment_id, topic, appointment.start,
                          int((appointment.end - appointment.start).total_seconds() // 60), appointment.timezone)
