"""The accounts of one clinic, listed for its admins (identity's table, read only)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.adapters.orm import accounts, totp_credentials
from gateway.domain.identity import Account, AccountStatus
from gateway.domain.principal import AccountKind

_MFA_ENABLED = (
    select(totp_credentials.c.account_id)
    .where(totp_credentials.c.account_id == accounts.c.id, totp_credentials.c.confirmed_at.is_not(None))
    .exists()
    .label("mfa_enabled")
)


class SqlClinicAccounts:
    def __init__(self, session: Session) -> None:
        self._session = session

    def page(self, clinic_id: uuid.UUID, *, kind: AccountKind | None, after: uuid.UUID | None, limit: int,
             only: uuid.UUID | None = None) -> list[Account]:
        """Up to `limit` accounts of the clinic in id order (time-ordered ids: oldest first),
        after the account `after`; only the account `only` when given."""
        query = select(accounts, _MFA_ENABLED).where(accounts.c.clinic_id == clinic_id)
        if kind is not None:
            query = query.where(accounts.c.kind == kind)
        if after is not None:
            query = query.where(accounts.c.id > after)
        if only is not None:
            query = query.where(accounts.c.id == only)
        rows = self._session.execute(query.order_by(accounts.c.id).limit(limit))
        return [Account(row.id, AccountKind(row.kind), row.clinic_id, row.email, row.display_name,
                        AccountStatus(row.status), row.password_hash, row.created_at, bool(row.mfa_enabled))
                for row in rows]
