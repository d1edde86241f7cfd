"""The gateway's tables: identity and access control (the messaging tables are shared)."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.dialects import postgresql, sqlite

from clinic_runtime.db import UtcDateTime

metadata = MetaData()


def upsert(dialect_name: str, table: Table) -> Insert:
    """An INSERT that can take `.on_conflict_do_update(...)`: both backends have one."""
    return (postgresql.insert if dialect_name == "postgresql" else sqlite.insert)(table)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("clinic_id", Uuid, nullable=True),  # None only for platform operators
    Column("kind", String(16), nullable=False),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),  # lower-cased: one account per address
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_accounts_clinic_id", "clinic_id"),
)

login_sessions = Table(
    "login_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("mfa_verified", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_reason", String(32), nullable=True),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", Uuid, ForeignKey("login_sessions.id"), nullable=False, index=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

one_time_tokens = Table(
    "one_time_tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    # None for a sign-up's link: it names the sign-up (its id is the token's), not an account.
    Column("account_id", Uuid, ForeignKey("accounts.id"), nullable=True, index=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("purpose", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    # A link waiting for the worker to mail it (None: nothing to mail, or mailed, or dropped unsent);
    # no token is stored: the worker signs it again from this row.
    Column("mail_due_at", UtcDateTime, nullable=True, index=True),
    Column("mail_claimed_until", UtcDateTime, nullable=True),  # the lease of the run mailing it
    Column("mail_claim", Uuid, nullable=True),  # which run of the mail job holds the lease
    Column("mailed_at", UtcDateTime, nullable=True),
)

# Patients' sign-ups waiting for the link mailed to the address (gateway.domain.identity.SignUp).
sign_ups = Table(
    "sign_ups",
    metadata,
    Column("id", Uuid, ForeignKey("one_time_tokens.id"), primary_key=True),
    Column("clinic_id", Uuid, nullable=False),
    Column("email", String(254), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
)

totp_credentials = Table(
    "totp_credentials",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id"), primary_key=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("secret_sealed", Text, nullable=False),  # encrypted (gateway.domain.encryption)
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime, nullable=True),  # None: enrolment pending
    Column("last_used_step", BigInteger, nullable=True),  # no code of this step or earlier is accepted
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id"), primary_key=True),
    Column("code_hash", String(64), primary_key=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
)

clinic_security_policies = Table(
    "clinic_security_policies",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("mfa_required_for_staff", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", Uuid, nullable=True),
)

access_audit = Table(
    "access_audit",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("clinic_id", Uuid, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("subject_id", Uuid, nullable=True),
    Column("action", String(64), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("client_address", String(64), nullable=True),
    Index("ix_access_audit_clinic_id_at", "clinic_id", "at"),
)

# Failed logins per subject ("email:<sha256>" or "address:<client network>") in a window from the first failure.
login_failures = Table(
    "login_failures",
    metadata,
    Column("subject", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("started_at", Float, nullable=False),  # Unix seconds
)

# Links asked for per address (a hash of its folded form, whether or not an account has it) and
# purpose, in a window from the first request: only that one is given a link.
link_requests = Table(
    "link_requests",
    metadata,
    Column("address_digest", String(64), primary_key=True),
    Column("purpose", String(32), primary_key=True),
    Column("requests", Integer, nullable=False),
    Column("started_at", Float, nullable=False),  # Unix seconds
)

# Requests per bucket and client network in the current fixed window (the SQL rate limiter).
rate_limit_windows = Table(
    "rate_limit_windows",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window", BigInteger, nullable=False),  # Unix seconds // period
    Column("hits", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),  # Unix seconds: the window's end, when the row may go
)

# Keys the gateway generated for itself when none is configured (see gateway-migrate).
gateway_keys = Table(
    "gateway_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
