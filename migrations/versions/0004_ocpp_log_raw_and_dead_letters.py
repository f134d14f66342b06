"""Real-Time Logs lose nothing: the original of an entry stored escaped, and a table for frames set aside.

ocpp_log_entries.raw keeps an entry as ASCII-only JSON when its columns hold an escaped or cut form of it (a NUL
or lone surrogate PostgreSQL cannot store, a uniqueId or action longer than its column, an oversize payload).
ocpp_log_dead_letters holds the frames the log could not write even one by one, with the error; it has no foreign
keys, so the frame of a charger deleted meanwhile still lands there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode: SQLite recreates the table, PostgreSQL gets a plain ALTER TABLE (a nullable column: no rewrite).
    with op.batch_alter_table("ocpp_log_entries") as batch:
        batch.add_column(sa.Column("raw", sa.Text(), nullable=True))
    op.create_table(
        "ocpp_log_dead_letters",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.Text(), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("message_type", sa.String(length=16), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpp_log_dead_letters")),
    )
    op.create_index("ix_ocpp_log_dead_letters_failed_at", "ocpp_log_dead_letters", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_ocpp_log_dead_letters_failed_at", table_name="ocpp_log_dead_letters")
    op.drop_table("ocpp_log_dead_letters")
    with op.batch_alter_table("ocpp_log_entries") as batch:
        batch.drop_column("raw")
