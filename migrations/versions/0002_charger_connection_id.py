"""Chargers remember which connection they are on, so a late disconnection cannot overwrite a newer connection.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite recreates the table, PostgreSQL gets a plain ALTER TABLE.
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(sa.Column("connection_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("connection_id")
