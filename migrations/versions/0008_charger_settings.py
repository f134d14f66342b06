"""Station operations: each charger's reported settings, and the local authorisation list it last accepted
(its version, and its entries, from which later changes are sent as Differential updates).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode: SQLite recreates the table, PostgreSQL gets a plain ALTER TABLE (a nullable column: no rewrite).
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(sa.Column("local_list_version", sa.Integer(), nullable=True))
    op.create_table(
        "charger_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("readonly", sa.Boolean(), nullable=False),
        sa.Column("reported_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_charger_settings_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_charger_settings_charger_id_chargers")),
        sa.PrimaryKeyConstraint("charger_id", "key", name="pk_charger_settings"),
    )
    op.create_table(
        "charger_local_list_entries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("id_tag", sa.String(length=64), nullable=False),
        sa.Column("vehicle", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_charger_local_list_entries_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_charger_local_list_entries_charger_id_chargers")
        ),
        sa.PrimaryKeyConstraint("charger_id", "id_tag", name="pk_charger_local_list_entries"),
    )


def downgrade() -> None:
    op.drop_table("charger_local_list_entries")
    op.drop_table("charger_settings")
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("local_list_version")
