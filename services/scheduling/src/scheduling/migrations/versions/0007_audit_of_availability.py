"""The audit trail names the specialist whose availability a staff member or specialist changed
(`provider_id`), so a specialist's entries can be read on their own. Entries written before have
none: they are about appointments and patients.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as table:
        table.add_column(sa.Column("provider_id", sa.Uuid(), nullable=True))
    op.create_index("ix_audit_entries_provider", "audit_entries", ["clinic_id", "provider_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_entries_provider", table_name="audit_entries")
    with op.batch_alter_table("audit_entries") as table:
        table.drop_column("provider_id")
