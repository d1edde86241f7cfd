"""Clinic policies and locations; providers, services and their documents, booking calendars,
service plans, products.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _entries(name: str, *columns, versioned: bool = True) -> None:
    """A table of one clinic's entries, unique on (clinic_id, id) for same-clinic references."""
    lifecycle = [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ] if versioned else []
    op.create_table(
        name,
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("clinic_id", sa.Uuid(), sa.ForeignKey("clinics.id"), nullable=False),
        *columns,
        *lifecycle,
        sa.UniqueConstraint("clinic_id", "id", name=f"uq_{name}_clinic_id"),
    )


def _same_clinic(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["clinic_id", column], [f"{table}.clinic_id", f"{table}.id"])


def _money(prefix: str, nullable: bool) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}_amount_minor", sa.BigInteger(), nullable=nullable),
        sa.Column(f"{prefix}_currency", sa.String(3), nullable=nullable),
    ]


def upgrade() -> None:
    with op.batch_alter_table("clinics") as clinics:
        clinics.add_column(sa.Column("cancellation_window_hours", sa.Integer(), nullable=False,
                                     server_default=sa.text("24")))
        clinics.add_column(sa.Column("refund_kind", sa.String(16), nullable=False, server_default="full"))
        clinics.add_column(sa.Column("refund_percent", sa.Integer(), nullable=True))
        clinics.add_column(sa.Column("refund_text", sa.Text(), nullable=False, server_default=""))

    _entries(
        "locations",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        versioned=False,
    )
    _entries(
        "providers",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("mobile", sa.String(20), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_table(
        "provider_locations",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("location_id", sa.Uuid(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _same_clinic("provider_id", "providers"),
        _same_clinic("location_id", "locations"),
    )
    op.create_index("ix_provider_locations_location", "provider_locations", ["clinic_id", "location_id"])

    _entries(
        "services",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        *_money("price", nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("required_forms", sa.JSON(), nullable=False),
        sa.Column("cancellation_window_hours", sa.Integer(), nullable=True),
        sa.Column("refund_kind", sa.String(16), nullable=True),
        sa.Column("refund_percent", sa.Integer(), nullable=True),
        sa.Column("refund_text", sa.Text(), nullable=True),
        sa.Column("remind_24h_before", sa.Boolean(), nullable=False),
        sa.Column("remind_1h_before", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "service_providers",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), primary_key=True),
        sa.Column("provider_id", sa.Uuid(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _same_clinic("service_id", "services"),
        _same_clinic("provider_id", "providers"),
    )
    op.create_index("ix_service_providers_provider", "service_providers", ["clinic_id", "provider_id"])
    _entries(
        "documents",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        _same_clinic("service_id", "services"),
        versioned=False,
    )

    _entries(
        "calendars",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        *_money("price", nullable=True),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("bookable_from", sa.Date(), nullable=True),
        sa.Column("bookable_until", sa.Date(), nullable=True),
        _same_clinic("service_id", "services"),
    )
    op.create_index("ix_calendars_service", "calendars", ["clinic_id", "service_id", "id"])

    _entries(
        "products",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *_money("price", nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
    )
    _entries(
        "plans",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        *_money("price", nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=True),
        sa.Column("session_validity_count", sa.Integer(), nullable=True),
        sa.Column("session_validity_unit", sa.String(8), nullable=True),
        sa.Column("period_count", sa.Integer(), nullable=True),
        sa.Column("period_unit", sa.String(8), nullable=True),
        sa.Column("access_window_count", sa.Integer(), nullable=True),
        sa.Column("access_window_unit", sa.String(8), nullable=True),
        sa.Column("access_grants", sa.JSON(), nullable=False),
    )
    op.create_table(
        "plan_services",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), primary_key=True),
        sa.Column("service_id", sa.Uuid(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _same_clinic("plan_id", "plans"),
        _same_clinic("service_id", "services"),
    )
    op.create_index("ix_plan_services_service", "plan_services", ["clinic_id", "service_id"])
    op.create_table(
        "plan_products",
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), primary_key=True),
        sa.Column("product_id", sa.Uuid(), primary_key=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        _same_clinic("plan_id", "plans"),
        _same_clinic("product_id", "products"),
    )
    op.create_index("ix_plan_products_product", "plan_products", ["clinic_id", "product_id"])


def downgrade() -> None:
    for table in ("plan_products", "plan_services", "plans", "products", "calendars", "documents",
                  "service_providers", "services", "provider_locations", "providers", "locations"):
        op.drop_table(table)
    with op.batch_alter_table("clinics") as clinics:
        for column in ("refund_text", "refund_percent", "refund_kind", "cancellation_window_hours"):
            clinics.drop_column(column)
