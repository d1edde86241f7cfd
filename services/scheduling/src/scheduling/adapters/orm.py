"""Scheduling's tables."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, Uuid

from clinic_runtime.db import UtcDateTime

metadata = MetaData()

# -- read models of catalog (kept from its events; never written otherwise) --------------------

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
    Column("cancellation_window_hours", Integer, nullable=False),
    Column("refund_policy_kind", String(16), nullable=False),
    Column("refund_policy_percent", Integer, nullable=True),
    Column("refund_policy_text", Text, nullable=False),
)

provider_directory = Table(
    "provider_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("location_ids", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

service_directory = Table(
    "service_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("service_id", Uuid, primary_key=True),
    Column("name", Text, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    Column("provider_ids", JSON, nullable=False),
    Column("required_forms", JSON, nullable=False),
    Column("cancellation_window_hours", Integer, nullable=True),
    Column("refund_policy_kind", String(16), nullable=True),
    Column("refund_policy_percent", Integer, nullable=True),
    Column("refund_policy_text", Text, nullable=True),
    Column("remind_24h", Boolean, nullable=False),
    Column("remind_1h", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

calendar_directory = Table(
    "calendar_directory",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("calendar_id", Uuid, primary_key=True),
    Column("service_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("price_amount_minor", BigInteger, nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("hours", JSON, nullable=False),
    Column("bookable_from", Date, nullable=True),
    Column("bookable_until", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_calendar_directory_service", "clinic_id", "service_id"),
)

# -- specialists' availability (scheduling's own; scheduling.adapters.availability) -------------

provider_availability = Table(
    "provider_availability",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("timezone", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=True),
)

availability_rules = Table(
    "availability_rules",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("weekday", Integer, nullable=False),
    Column("start_time", String(5), nullable=False),
    Column("end_time", String(5), nullable=False),
    Column("valid_from", Date, nullable=True),
    Column("valid_until", Date, nullable=True),
    Column("location_id", Uuid, nullable=True),
)

availability_blackouts = Table(
    "availability_blackouts",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("day", Date, primary_key=True),
)

availability_away = Table(
    "availability_away",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("away_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_availability_away_provider", "clinic_id", "provider_id"),
)

availability_overrides = Table(
    "availability_overrides",
    metadata,
    Column("clinic_id", Uuid, primary_key=True),
    Column("override_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, nullable=False),
    Column("day", Date, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start_time", String(5), nullable=True),
    Column("end_time", String(5), nullable=True),
    Column("note", Text, nullable=False),
    Index("ix_availability_overrides_provider", "clinic_id", "provider_id"),
)
