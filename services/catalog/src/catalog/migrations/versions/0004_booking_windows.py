"""A service's and a booking calendar's own minimum notice (minutes) and booking horizon (days).
Entries held before have none: the platform's default applies to a service, the service's to a
calendar, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("services", "calendars")


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as table:
            table.add_column(sa.Column("minimum_notice_minutes", sa.Integer(), nullable=True))
            table.add_column(sa.Column("booking_horizon_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name) as table:
            table.drop_column("booking_horizon_days")
            table.drop_column("minimum_notice_minutes")
