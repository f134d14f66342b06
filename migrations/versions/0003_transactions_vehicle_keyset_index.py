"""A vehicle's transactions are paged by (started_at, id), newest first: the index now ends in id too.

With (tenant_id, vehicle_id, started_at) PostgreSQL read the vehicle's rows backwards and sorted each run of
equal started_at by id; with id in the index a page is read in order and stops after first + 1 rows, and a
cursor's (started_at, id) bound is checked inside the index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Created before the old one goes, so vehicle queries always have an index to use.
    op.create_index(
        "ix_transactions_tenant_vehicle_started_id", "transactions", ["tenant_id", "vehicle_id", "started_at", "id"]
    )
    op.drop_index("ix_transactions_tenant_vehicle_started", table_name="transactions")


def downgrade() -> None:
    op.create_index("ix_transactions_tenant_vehicle_started", "transactions", ["tenant_id", "vehicle_id", "started_at"])
    op.drop_index("ix_transactions_tenant_vehicle_started_id", table_name="transactions")
