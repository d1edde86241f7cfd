"""The messaging tables' retention indexes: idempotency keys by creation, the inbox by when
each event was processed, so the worker's hourly purges find old rows without scanning.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from clinic_runtime.migrations import create_messaging_retention_indexes_v2, drop_messaging_retention_indexes_v2

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_retention_indexes_v2()


def downgrade() -> None:
    drop_messaging_retention_indexes_v2()
