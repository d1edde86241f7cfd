"""Catalog's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Uuid

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

clinics = Table(
    "clinics",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(63), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
