"""Links mailed by the worker: a reset or invitation link is recorded as due, and the worker's
mail job claims it (a lease), mails it and marks it mailed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("one_time_tokens") as table:
        table.add_column(sa.Column("mail_due_at", UtcDateTime(), nullable=True))
        table.add_column(sa.Column("mail_claimed_until", UtcDateTime(), nullable=True))
        table.add_column(sa.Column("mail_claim", sa.Uuid(), nullable=True))
        table.add_column(sa.Column("mailed_at", UtcDateTime(), nullable=True))
        table.create_index("ix_one_time_tokens_mail_due_at", ["mail_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("one_time_tokens") as table:
        table.drop_index("ix_one_time_tokens_mail_due_at")
        table.drop_column("mailed_at")
        table.drop_column("mail_claim")
        table.drop_column("mail_claimed_until")
        table.drop_column("mail_due_at")
