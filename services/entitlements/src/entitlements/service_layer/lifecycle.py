"""The care lifecycle the worker's timers run: tier periods renewed, enrollments whose windows
closed expired, reservations nobody committed released. Each step is idempotent and changes each
row in a transaction of its own, so a crash, a retry or two workers running at once do every
change once, and a row that fails (logged, retried next run) holds back none of the others.

Each step reads what is due in batches until fewer than a batch remain, at most MAX_BATCHES a
run, so a backlog is worked off in a few runs without one run holding the worker for ever."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from clinic_runtime.db import transaction
from entitlements.service_layer import enrollments, tiers
from entitlements.service_layer.care_unit_of_work import CareUnitOfWork, SqlCareUnitOfWork

log = logging.getLogger(__name__)
BATCH = 100
MAX_BATCHES = 20

Due = TypeVar("Due")


def renew_tier_periods(sessions: sessionmaker[Session], now: datetime) -> int:
    """Renew every membership whose period has ended; how many renewed."""
    return _each_due(sessions, "tier renewal", lambda uow, limit: uow.memberships.due(now, limit),
                     lambda m: (m.clinic_id, m.patient_id), lambda uow, m: tiers.renew(uow, m, now))


def expire_enrollments(sessions: sessionmaker[Session], now: datetime) -> int:
    """Expire every active enrollment whose sessions and access have lapsed; how many expired."""
    return _each_due(sessions, "enrollment expiry", lambda uow, limit: uow.enrollments.due(now, limit),
                     lambda e: (e.clinic_id, e.id), lambda uow, e: enrollments.expire(uow, e, now))


def release_lapsed_reservations(sessions: sessionmaker[Session], now: datetime) -> int:
    """Release every reservation nobody committed by its expiry; how many were released."""
    return _each_due(sessions, "reservation release", lambda uow, limit: uow.reservations.due(now, limit),
                     lambda r: (r.clinic_id, r.appointment_id),
                     lambda uow, r: enrollments.release_lapsed(uow, r, now))


def _each_due(sessions: sessionmaker[Session], step: str,
              due: Callable[[CareUnitOfWork, int], Sequence[Due]], key: Callable[[Due], Hashable],
              handle: Callable[[CareUnitOfWork, Due], bool]) -> int:
    done = 0
    failed: set[Hashable] = set()
    for _ in range(MAX_BATCHES):
        # The rows that failed this run are still due: read past them rather than retry them.
        with transaction(sessions) as session:
            batch = [row for row in due(SqlCareUnitOfWork(session), BATCH + len(failed))
                     if key(row) not in failed][:BATCH]
        for row in batch:
            try:
                with transaction(sessions) as session:
                    done += handle(SqlCareUnitOfWork(session), row)
            except Exception:
                failed.add(key(row))
                log.exception("a lifecycle step failed on one row; it is retried next run",
                              extra={"step": step, "key": str(key(row))})
        if len(batch) < BATCH:
            break
    return done


def run_lifecycle(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
    """One timer run: renewals first, so a period's grants are expired by its renewal (which
    knows the leftovers to carry) rather than by the window expiry."""
    renew_tier_periods(sessions, clock())
    expire_enrollments(sessions, clock())
    release_lapsed_reservations(sessions, clock())
