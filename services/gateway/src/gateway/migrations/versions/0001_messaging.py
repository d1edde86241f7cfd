"""The messaging tables: outbox, inbox, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from clinic_runtime.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables_v1()


def downgrade() -> None:
    drop_messaging_tables_v1()
