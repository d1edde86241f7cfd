"""Entitlements's tables (the messaging tables are shared: clinic_runtime.messaging.tables)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

# JSONB on PostgreSQL (compact, decoded by the driver); JSON text on SQLite. An absent
# before/after is SQL NULL, not the JSON value null.
Document = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

# Clinic-defined roles only: the built-in ones live in code (entitlements.domain.roles).
roles = Table(
    "roles",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("key", String(63), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("grants", Document, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The primary key is also the index a decision reads: (clinic, principal) -> role keys.
role_assignments = Table(
    "role_assignments",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("principal_id", Uuid, primary_key=True),
    Column("role_key", String(63), primary_key=True),
    Column("granted_by", Uuid, nullable=True),
    Column("granted_at", UtcDateTime, nullable=False),
    Index("ix_role_assignments_role", "clinic_id", "role_key"),
)

access_audit = Table(
    "access_audit",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("clinic_id", Uuid, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("before", Document, nullable=True),
    Column("after", Document, nullable=True),
    Index("ix_access_audit_clinic_at", "clinic_id", "at"),
)

# -- the commercial model -------------------------------------------------------------------------
# The plan catalog and the capability clearances are the platform's, not any clinic's: they carry
# no clinic_id. Everything a clinic holds (its subscription, overrides, pauses) does.

platform_plans = Table(
    "platform_plans",
    metadata,
    Column("key", String(63), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
)


def _terms_columns() -> list[Column]:
    """A plan version's terms, as stored with the version and frozen with each subscription item."""
    return [
        Column("name", String(100), nullable=False),
        Column("features", Document, nullable=False),
        Column("limits", Document, nullable=False),
        Column("price_amount_minor", BigInteger, nullable=True),
        Column("price_currency", String(3), nullable=True),
        Column("period", String(10), nullable=False),
        Column("pack_validity", String(20), nullable=True),
    ]


plan_versions = Table(
    "plan_versions",
    metadata,
    Column("plan_key", String(63), primary_key=True),
    Column("version", Integer, primary_key=True),
    *_terms_columns(),
    Column("available_with", Document, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("published_by", Uuid, nullable=True),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("version", Integer, nullable=False),
)

subscription_items = Table(
    "subscription_items",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("plan_key", String(63), nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    *_terms_columns(),
    Column("quantity", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ends_at", UtcDateTime, nullable=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
)

entitlement_overrides = Table(
    "entitlement_overrides",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("features", Document, nullable=False),
    Column("limits", Document, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("granted_by", Uuid, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
)

capability_clearances = Table(
    "capability_clearances",
    metadata,
    Column("capability", String(40), primary_key=True),
    Column("cleared", Boolean, nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
    Column("changed_by", Uuid, nullable=True),
)

# The pauses in force; lifting one deletes its row (the access audit keeps the history).
capability_pauses = Table(
    "capability_pauses",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("capability", String(40), primary_key=True),
    Column("reason", String(500), nullable=False),
    Column("expected_until", UtcDateTime, nullable=True),
    Column("paused_at", UtcDateTime, nullable=False),
    Column("paused_by", Uuid, nullable=True),
)
