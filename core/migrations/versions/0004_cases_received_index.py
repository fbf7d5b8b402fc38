"""cases by received time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:20:00.000000

Reports and the dashboard count a tenant's cases received in a window; repeat detection takes
the latest received case of a customer. Both read ``(tenant_id, received_at)``.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_tenant_received", ["tenant_id", "received_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_tenant_received")
