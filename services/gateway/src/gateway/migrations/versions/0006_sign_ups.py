"""Patients' sign-ups wait apart from accounts until the link mailed to the address confirms
them; a sign-up's link names the sign-up, not an account.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from clinic_runtime.db import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The version before kept a sign-up as an account with this status; none could sign in yet,
    # and whoever made one signs up again.
    op.execute("DELETE FROM one_time_tokens WHERE account_id IN (SELECT id FROM accounts WHERE status = 'unconfirmed')")
    op.execute("DELETE FROM accounts WHERE status = 'unconfirmed'")
    with op.batch_alter_table("one_time_tokens") as table:
        table.alter_column("account_id", existing_type=sa.Uuid(), nullable=True)
    op.create_table(
        "sign_ups",
        sa.Column("id", sa.Uuid(), sa.ForeignKey("one_time_tokens.id"), primary_key=True),
        sa.Column("clinic_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_key", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_sign_ups_email_key", "sign_ups", ["email_key"])


def downgrade() -> None:
    op.drop_index("ix_sign_ups_email_key", table_name="sign_ups")
    op.drop_table("sign_ups")
    op.execute("DELETE FROM one_time_tokens WHERE account_id IS NULL")
    with op.batch_alter_table("one_time_tokens") as table:
        table.alter_column("account_id", existing_type=sa.Uuid(), nullable=False)
