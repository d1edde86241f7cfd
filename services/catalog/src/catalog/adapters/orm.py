"""Catalog's tables.

Every row carries its clinic. A reference from one entry to another (a service's specialists, a
plan's services and products, a specialist's locations) is a foreign key on (clinic_id, id), so
even a bug in the code could not point one clinic's entry at another clinic's.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)

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
    Column("cancellation_window_hours", Integer, nullable=False),
    Column("refund_kind", String(16), nullable=False),
    Column("refund_percent", Integer, nullable=True),
    Column("refund_text", Text, nullable=False),
)


def _tenant(name: str, *columns, **keywords) -> Table:
    """A table of one clinic's entries: keyed by id, unique on (clinic_id, id) so other tables can
    refer to an entry *of the same clinic* (that constraint's index also serves the listings)."""
    return Table(
        name,
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("clinic_id", Uuid, ForeignKey("clinics.id"), nullable=False),
        *columns,
        UniqueConstraint("clinic_id", "id", name=f"uq_{name}_clinic_id"),
        **keywords,
    )


def _versioned() -> list[Column]:
    return [
        Column("version", Integer, nullable=False),
        Column("archived", Boolean, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]


def _same_clinic(column: str, table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["clinic_id", column], [f"{table}.clinic_id", f"{table}.id"])


locations = _tenant(
    "locations",
    Column("name", String(200), nullable=False),
    Column("address", String(500), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("archived", Boolean, nullable=False),
    Column("position", Integer, nullable=False),
)

providers = _tenant(
    "providers",
    Column("name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("mobile", String(20), nullable=True),
    Column("timezone", String(64), nullable=False),
    *_versioned(),
)

provider_locations = Table(
    "provider_locations",
    metadata,
    Column("clinic_id", Uuid, nullable=False),
    Column("provider_id", Uuid, primary_key=True),
    Column("location_id", Uuid, primary_key=True),
    Column("position", Integer, nullable=False),
    _same_clinic("provider_id", "providers"),
    _same_clinic("location_id", "locations"),
    Index("ix_provider_locations_location", "clinic_id", "location_id"),
)

services = _tenant(
    "services",
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("buffer_before_minutes", Integer, nullable=False),
    Column("buffer_after_minutes", Integer, nullable=False),
    Column("required_forms", JSON, nullable=False),
    # NULL: the clinic's policy applies.
    Column("cancellation_window_hours", Integer, nullable=True),
    Column("refund_kind", String(16), nullable=True),
    Column("refund_percent", Integer, nullable=True),
    Column("refund_text", Text, nullable=True),
    Column("remind_24h_before", Boolean, nullable=False),
    Column("remind_1h_before", Boolean, nullable=False),
    # NULL: the platform's default applies.
    Column("minimum_notice_minutes", Integer, nullable=True),
    Column("booking_horizon_days", Integer, nullable=True),
    *_versioned(),
)

service_providers = Table(
    "service_providers",
    metadata,
    Column("clinic_id", Uuid, nullable=False),
    Column("service_id", Uuid, primary_key=True),
    Column("provider_id", Uuid, primary_key=True),
    Column("position", Integer, nullable=False),
    _same_clinic("service_id", "services"),
    _same_clinic("provider_id", "providers"),
    Index("ix_service_providers_provider", "clinic_id", "provider_id"),
)

documents = _tenant(
    "documents",
    Column("service_id", Uuid, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("archived", Boolean, nullable=False),
    _same_clinic("service_id", "services"),
)

calendars = _tenant(
    "calendars",
    Column("service_id", Uuid, nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("timezone", String(64), nullable=False),
    # NULL: the service's price.
    Column("price_amount_minor", BigInteger, nullable=True),
    Column("price_currency", String(3), nullable=True),
    Column("hours", JSON, nullable=False),
    Column("bookable_from", Date, nullable=True),
    Column("bookable_until", Date, nullable=True),
    # NULL: the service's.
    Column("minimum_notice_minutes", Integer, nullable=True),
    Column("booking_horizon_days", Integer, nullable=True),
    *_versioned(),
    _same_clinic("service_id", "services"),
    Index("ix_calendars_service", "clinic_id", "service_id", "id"),
)

products = _tenant(
    "products",
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("attributes", JSON, nullable=False),
    *_versioned(),
)

plans = _tenant(
    "plans",
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("price_amount_minor", BigInteger, nullable=False),
    Column("price_currency", String(3), nullable=False),
    Column("sessions", Integer, nullable=True),
    Column("session_validity_count", Integer, nullable=True),
    Column("session_validity_unit", String(8), nullable=True),
    Column("period_count", Integer, nullable=True),
    Column("period_unit", String(8), nullable=True),
    Column("access_window_count", Integer, nullable=True),
    Column("access_window_unit", String(8), nullable=True),
    Column("access_grants", JSON, nullable=False),
    *_versioned(),
)

plan_services = Table(
    "plan_services",
    metadata,
    Column("clinic_id", Uuid, nullable=False),
    Column("plan_id", Uuid, primary_key=True),
    Column("service_id", Uuid, primary_key=True),
    Column("position", Integer, nullable=False),
    _same_clinic("plan_id", "plans"),
    _same_clinic("service_id", "services"),
    Index("ix_plan_services_service", "clinic_id", "service_id"),
)

plan_products = Table(
    "plan_products",
    metadata,
    Column("clinic_id", Uuid, nullable=False),
    Column("plan_id", Uuid, primary_key=True),
    Column("product_id", Uuid, primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    _same_clinic("plan_id", "plans"),
    _same_clinic("product_id", "products"),
    Index("ix_plan_products_product", "clinic_id", "product_id"),
)
