"""The accounts of one clinic, listed for its admins (identity's table, read only)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.adapters.accounts import MFA_ENABLED, account_of
from gateway.adapters.orm import accounts
from gateway.domain.identity import Account
from gateway.domain.principal import AccountKind


class SqlClinicAccounts:
    def __init__(self, session: Session) -> None:
        self._session = session

    def page(self, clinic_id: uuid.UUID, *, kind: AccountKind | None, after: uuid.UUID | None, limit: int,
             only: uuid.UUID | None = None) -> list[Account]:
        """Up to `limit` accounts of the clinic in id order (time-ordered ids: oldest first),
        after the account `after`; only the account `only` when given."""
        query = select(accounts, MFA_ENABLED).where(accounts.c.clinic_id == clinic_id)
        if kind is not None:
            query = query.where(accounts.c.kind == kind)
        if after is not None:
            query = query.where(accounts.c.id > after)
        if only is not None:
            query = query.where(accounts.c.id == only)
        rows = self._session.execute(query.order_by(accounts.c.id).limit(limit))
        return [account_of(row) for row in rows]
