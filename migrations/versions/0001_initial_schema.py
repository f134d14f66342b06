"""Initial schema: every table, constraint and index of infra/db/tables.py, written out.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled with SQLAlchemy types only: a migration must not change when infra/ does.
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ACTIVE = "status = 'ACTIVE'"
WAITING = "status = 'WAITING_FOR_VEHICLE'"
TABLES = (  # children before parents, the order to drop them in
    "remote_starts",
    "pairing_sessions",
    "vehicle_identifiers",
    "transactions",
    "vehicles",
    "unrecognised_identifiers",
    "rfid_tags",
    "ocpp_log_entries",
    "connectors",
    "users",
    "chargers",
    "api_keys",
    "tenants",
)


def where(condition: str) -> dict[str, Any]:
    """A partial index, on both dialects."""
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name="uq_api_keys_key_hash"),
    )
    op.create_table(
        "chargers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=True),
        sa.Column("autocharge_supported", sa.Boolean(), nullable=False),
        sa.Column("connection_state", sa.String(length=32), nullable=False),
        sa.Column("ocpp_version", sa.String(length=16), nullable=True),
        sa.Column("vendor", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("firmware_version", sa.String(length=100), nullable=True),
        sa.Column("last_seen_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_chargers_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargers")),
        sa.UniqueConstraint("charge_point_id", name="uq_chargers_charge_point_id"),
    )
    op.create_index("ix_chargers_tenant_id", "chargers", ["tenant_id", "id"])

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_users_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_email"),
    )
    op.create_index("ix_users_tenant_id", "users", ["tenant_id", "id"])

    op.create_table(
        "connectors",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_connectors_charger_id_chargers")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_connectors_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("charger_id", "connector_id", name="pk_connectors"),
    )
    op.create_table(
        "ocpp_log_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("charge_point_id", sa.String(length=128), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("message_type", sa.String(length=16), nullable=False),
        sa.Column("unique_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_ocpp_log_entries_charger_id_chargers")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_ocpp_log_entries_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ocpp_log_entries")),
    )
    op.create_index("ix_ocpp_log_entries_charger_id", "ocpp_log_entries", ["charger_id", "id"])
    op.create_index("ix_ocpp_log_entries_timestamp", "ocpp_log_entries", ["timestamp"])

    op.create_table(
        "rfid_tags",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("id_tag", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_rfid_tags_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_rfid_tags_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rfid_tags")),
        sa.UniqueConstraint("tenant_id", "id_tag", name="uq_rfid_tags_tenant_id_tag"),
    )
    op.create_index("ix_rfid_tags_user", "rfid_tags", ["user_id"])

    op.create_table(
        "unrecognised_identifiers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"], ["chargers.id"], name=op.f("fk_unrecognised_identifiers_charger_id_chargers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_unrecognised_identifiers_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "charger_id", "value", name="pk_unrecognised_identifiers"),
    )
    op.create_index(
        "ix_unrecognised_identifiers_tenant_last_seen", "unrecognised_identifiers", ["tenant_id", "last_seen_at"]
    )
    op.create_index("ix_unrecognised_identifiers_tenant_value", "unrecognised_identifiers", ["tenant_id", "value"])

    op.create_table(
        "vehicles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("license_plate", sa.String(length=32), nullable=False),
        sa.Column("make", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_vehicles_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_vehicles_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
    )
    op.create_index("ix_vehicles_tenant_id", "vehicles", ["tenant_id", "id"])
    op.create_index("ix_vehicles_tenant_user", "vehicles", ["tenant_id", "user_id"])
    op.create_index(
        "uq_vehicles_active_plate", "vehicles", ["tenant_id", "license_plate"], unique=True, **where(ACTIVE)
    )

    op.create_table(
        "transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("ocpp_transaction_id", sa.String(length=64), nullable=False),
        sa.Column("start_key", sa.String(length=128), nullable=False),
        sa.Column("id_tag", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("authorization", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("vehicle_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("stopped_at", TIMESTAMP, nullable=True),
        sa.Column("meter_start_wh", sa.Integer(), nullable=False),
        sa.Column("meter_last_wh", sa.Integer(), nullable=True),
        sa.Column("meter_stop_wh", sa.Integer(), nullable=True),
        sa.Column("stop_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_transactions_charger_id_chargers")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_transactions_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_transactions_user_id_users")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_transactions_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("charger_id", "ocpp_transaction_id", name="uq_transactions_charger_ocpp_id"),
        sa.UniqueConstraint("charger_id", "start_key", name="uq_transactions_charger_start_key"),
    )
    op.create_index("ix_transactions_tenant_charger_started", "transactions", ["tenant_id", "charger_id", "started_at"])
    op.create_index("ix_transactions_tenant_started", "transactions", ["tenant_id", "started_at", "id"])
    op.create_index("ix_transactions_tenant_user_started", "transactions", ["tenant_id", "user_id", "started_at"])
    op.create_index("ix_transactions_tenant_vehicle_started", "transactions", ["tenant_id", "vehicle_id", "started_at"])

    op.create_table(
        "vehicle_identifiers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("captured_at", TIMESTAMP, nullable=False),
        sa.Column("captured_on_charger_id", sa.Uuid(), nullable=True),
        sa.Column("retired_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(
            ["captured_on_charger_id"],
            ["chargers.id"],
            name=op.f("fk_vehicle_identifiers_captured_on_charger_id_chargers"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_vehicle_identifiers_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_vehicle_identifiers_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_identifiers")),
    )
    op.create_index("ix_vehicle_identifiers_tenant_value", "vehicle_identifiers", ["tenant_id", "value"])
    op.create_index("ix_vehicle_identifiers_vehicle", "vehicle_identifiers", ["vehicle_id", "captured_at"])
    op.create_index(
        "uq_vehicle_identifiers_active_value",
        "vehicle_identifiers",
        ["tenant_id", "value"],
        unique=True,
        **where(ACTIVE),
    )
    op.create_index(
        "uq_vehicle_identifiers_active_vehicle", "vehicle_identifiers", ["vehicle_id"], unique=True, **where(ACTIVE)
    )

    op.create_table(
        "pairing_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("vehicle_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.Column("identifier_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_pairing_sessions_charger_id_chargers")),
        sa.ForeignKeyConstraint(
            ["identifier_id"],
            ["vehicle_identifiers.id"],
            name=op.f("fk_pairing_sessions_identifier_id_vehicle_identifiers"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_pairing_sessions_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_pairing_sessions_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_sessions")),
    )
    op.create_index("ix_pairing_sessions_status_expires", "pairing_sessions", ["status", "expires_at"])
    op.create_index(
        "uq_pairing_sessions_waiting_charger", "pairing_sessions", ["charger_id"], unique=True, **where(WAITING)
    )

    op.create_table(
        "remote_starts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("id_tag", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("transaction_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["charger_id"], ["chargers.id"], name=op.f("fk_remote_starts_charger_id_chargers")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_remote_starts_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name=op.f("fk_remote_starts_transaction_id_transactions")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_remote_starts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_starts")),
    )
    op.create_index("ix_remote_starts_charger_id_tag", "remote_starts", ["charger_id", "id_tag"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(sa.Sequence("ocpp_transaction_number_seq")))
    else:
        # SQLite has no sequences; AUTOINCREMENT never hands out a key twice, even after deletes.
        op.create_table(
            "ocpp_transaction_numbers", sa.Column("n", sa.Integer(), primary_key=True), sqlite_autoincrement=True
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(sa.Sequence("ocpp_transaction_number_seq")))
    else:
        op.drop_table("ocpp_transaction_numbers")
    for table in TABLES:
        op.drop_table(table)
