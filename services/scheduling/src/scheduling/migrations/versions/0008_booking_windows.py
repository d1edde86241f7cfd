"""The read models of catalog's services and booking calendars keep each one's minimum notice
(minutes) and booking horizon (days); none means the platform's default for a service and the
service's for a calendar, as before.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("service_directory", "calendar_directory")


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
