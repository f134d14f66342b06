"""Chargers get an OCPP security profile: the lowest transport they may connect with (0 to 3).

Chargers registered before it keep what they had: profile 1 (Basic auth) with a password, 0 without.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite recreates the table, PostgreSQL gets a plain ALTER TABLE. The server default fills the
    # existing rows (PostgreSQL 11+ without a rewrite) and stays for rows written by an older process mid-upgrade.
    with op.batch_alter_table("chargers") as batch:
        batch.add_column(sa.Column("security_profile", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE chargers SET security_profile = 1 WHERE password_hash IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("chargers") as batch:
        batch.drop_column("security_profile")
