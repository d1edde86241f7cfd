"""Scheduling's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Uuid

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

clinic_directory = Table(
    "clinic_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("slug", String(63), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
