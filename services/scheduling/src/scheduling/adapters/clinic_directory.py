"""Where scheduling keeps its clinic snapshots."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from clinic_runtime.db import keep_newest_statement
from scheduling.adapters.orm import clinic_directory
from scheduling.domain.clinic_directory import ClinicSnapshot
from scheduling.domain.offerings import RefundPolicy


class ClinicDirectory(Protocol):
    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None: ...

    def keep_newest(self, snapshot: ClinicSnapshot) -> bool:
        """Store `snapshot` unless the one held supersedes it (ClinicSnapshot.supersedes);
        True when it was stored."""


_KEEP_NEWEST = keep_newest_statement(clinic_directory)
_CLINIC = select(clinic_directory).where(clinic_directory.c.clinic_id == bindparam("clinic_id"))


class SqlClinicDirectory:
    """Reads are remembered for the unit of work (a booking asks for its clinic several times);
    keeping a newer snapshot forgets them."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._read: dict[uuid.UUID, ClinicSnapshot | None] = {}

    def get(self, clinic_id: uuid.UUID) -> ClinicSnapshot | None:
        if clinic_id not in self._read:
            row = self._session.execute(_CLINIC, {"clinic_id": clinic_id}).one_or_none()
            self._read[clinic_id] = _snapshot(row._mapping) if row else None
        return self._read[clinic_id]

    def keep_newest(self, snapshot: ClinicSnapshot) -> bool:
        self._read.pop(snapshot.clinic_id, None)
        return self._session.execute(_KEEP_NEWEST, _row(snapshot)).first() is not None


def _row(snapshot: ClinicSnapshot) -> dict[str, Any]:
    policy = snapshot.refund_policy
    return {
        "clinic_id": snapshot.clinic_id, "slug": snapshot.slug, "name": snapshot.name,
        "timezone": snapshot.timezone, "currency": snapshot.currency, "locale": snapshot.locale,
        "version": snapshot.version, "archived": snapshot.archived, "updated_at": snapshot.updated_at,
        "cancellation_window_hours": snapshot.cancellation_window_hours,
        "refund_policy_kind": policy.kind, "refund_policy_percent": policy.percent,
        "refund_policy_text": policy.text,
    }


def _snapshot(row: Any) -> ClinicSnapshot:
    return ClinicSnapshot(
        clinic_id=row["clinic_id"], slug=row["slug"], name=row["name"], timezone=row["timezone"],
        currency=row["currency"], locale=row["locale"], version=row["version"], archived=row["archived"],
        updated_at=row["updated_at"], cancellation_window_hours=row["cancellation_window_hours"],
        refund_policy=RefundPolicy(row["refund_policy_kind"], row["refund_policy_percent"],
                                   row["refund_policy_text"]),
    )
