"""Autocharge safety: concurrent use is found by token.

ix_transactions_tenant_id_tag_status finds a token's ACTIVE transactions, asked on every Authorize and start
to answer ConcurrentTx when the token is charging on another charger.

Revision ID: 0008
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_transactions_tenant_id_tag_status", "transactions", ["tenant_id", "id_tag", "status"])


def downgrade() -> None:
    op.drop_index("ix_transactions_tenant_id_tag_status", table_name="transactions")
