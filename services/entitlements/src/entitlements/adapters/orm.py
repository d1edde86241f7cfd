"""Entitlements's tables (the messaging tables are shared: clinic_runtime.messaging.tables)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Uuid
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
