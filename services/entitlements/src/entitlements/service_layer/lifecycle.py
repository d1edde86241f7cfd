"""The care lifecycle the worker's timers run: tier periods renewed, enrollments whose windows
closed expired, reservations nobody committed released. Each step is idempotent and commits in
small transactions of its own, so a crash, a retry or two workers running at once do every change
once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from clinic_runtime.db import transaction
from entitlements.service_layer import enrollments, tiers
from entitlements.service_layer.care_unit_of_work import SqlCareUnitOfWork

log = logging.getLogger(__name__)
BATCH = 100


def renew_tier_periods(sessions: sessionmaker[Session], now: datetime) -> int:
    """Renew every membership whose period has ended, one transaction each; how many renewed."""
    renewed = 0
    with transaction(sessions) as session:
        due = SqlCareUnitOfWork(session).memberships.due(now, BATCH)
    for membership in due:
        try:
            with transaction(sessions) as session:
                renewed += tiers.renew(SqlCareUnitOfWork(session), membership, now)
        except Exception:
            log.exception("a tier renewal failed; it is retried next run",
                          extra={"patient_id": str(membership.patient_id)})
    return renewed


def expire_enrollments(sessions: sessionmaker[Session], now: datetime) -> int:
    with transaction(sessions) as session:
        return enrollments.expire_due(SqlCareUnitOfWork(session), now, BATCH)


def release_lapsed_reservations(sessions: sessionmaker[Session], now: datetime) -> int:
    with transaction(sessions) as session:
        return enrollments.release_lapsed(SqlCareUnitOfWork(session), now, BATCH)


def run_lifecycle(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
    """One timer run: renewals first, so a period's grants are expired by its renewal (which
    knows the leftovers to carry) rather than by the window expiry."""
    renew_tier_periods(sessions, clock())
    expire_enrollments(sessions, clock())
    release_lapsed_reservations(sessions, clock())
