"""Autocharge safety: concurrent use found by token, and suggestions learnt from an RFID tap.

ix_transactions_tenant_id_tag_status finds a token's ACTIVE transactions, asked on every Authorize and start
to answer ConcurrentTx when the token is charging on another charger.

unrecognised_identifiers.suggested_user_id, suggested_vehicle_id and suggested_at hold what an RFID tap on the
same charger within 60 s after the token was rejected suggests; all null until then (nullable columns: no
rewrite on PostgreSQL).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_index("ix_transactions_tenant_id_tag_status", "transactions", ["tenant_id", "id_tag", "status"])
    # Batch mode: SQLite recreates the table, PostgreSQL gets plain ALTER TABLEs.
    with op.batch_alter_table("unrecognised_identifiers") as batch:
        batch.add_column(sa.Column("suggested_user_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("suggested_vehicle_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("suggested_at", TIMESTAMP, nullable=True))
        batch.create_foreign_key(
            op.f("fk_unrecognised_identifiers_suggested_user_id_users"), "users", ["suggested_user_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_unrecognised_identifiers_suggested_vehicle_id_vehicles"),
            "vehicles",
            ["suggested_vehicle_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("unrecognised_identifiers") as batch:
        batch.drop_constraint(op.f("fk_unrecognised_identifiers_suggested_vehicle_id_vehicles"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_unrecognised_identifiers_suggested_user_id_users"), type_="foreignkey")
        batch.drop_column("suggested_at")
        batch.drop_column("suggested_vehicle_id")
        batch.drop_column("suggested_user_id")
    op.drop_index("ix_transactions_tenant_id_tag_status", table_name="transactions")
