"""Throwaway PostgreSQL databases for benchmarks: create, migrate (`autocharge migrate`), fill by COPY, drop.

Rows are built from the domain's own entities and mapped to columns by infra.db.mapping, the way the
repositories write them, then sent with asyncpg's binary COPY. Charger i, its driver and its vehicle
follow the numbering of _ocpp.py, so the load generator's tokens are Accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from benchmarks._ocpp import CHARGE_POINT_PREFIX, charge_point_id, vehicle_token
from domain.ids import new_id
from domain.model import (
    Charger,
    IdentifierSource,
    User,
    Vehicle,
    VehicleIdentifier,
)
from infra.db.mapping import to_values

ROOT = Path(__file__).resolve().parent.parent
AUTOCHARGE = str(Path(sys.executable).with_name("autocharge"))
DEFAULT_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def asyncpg_dsn(url: str) -> str:
    """SQLAlchemy's URL (postgresql+asyncpg://...) as asyncpg wants it."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rstrip('/')}/{name}"


async def create_database(server_url: str, name: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(server_url) + "/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return database_url(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url) + "/postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def autocharge(*args: str) -> str:
    """Run the `autocharge` command; its stdout."""
    done = subprocess.run([AUTOCHARGE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"autocharge {' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def migrate(url: str) -> None:
    autocharge("migrate", "--database-url", url)


@dataclass(frozen=True)
class Tenant:
    id: UUID
    slug: str
    key: str  # an admin API key


def create_tenant(url: str, name: str) -> Tenant:
    """A tenant and an admin key, through the CLI as an operator makes them."""
    tenant = json.loads(autocharge("tenant", "create", name, "--json", "--database-url", url))
    key = json.loads(
        autocharge("apikey", "create", "--tenant", tenant["slug"], "--role", "admin", "--json", "--database-url", url)
    )
    return Tenant(UUID(tenant["id"]), tenant["slug"], key["key"])


async def copy(connection: asyncpg.Connection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    await connection.copy_records_to_table(
        table, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )


@dataclass(frozen=True)
class Fleet:
    charger_ids: list[UUID]
    user_ids: list[UUID]
    vehicle_ids: list[UUID]
    vehicle_user_ids: list[UUID]  # the driver of each vehicle
    identifier_values: list[str]


def fleet_rows(
    tenant_id: UUID,
    chargers: int,
    vehicles: int,
    *,
    prefix: str = CHARGE_POINT_PREFIX,
    vehicles_per_user: int = 1,
    now: datetime | None = None,
) -> tuple[Fleet, dict[str, list[dict[str, Any]]]]:
    """Chargers BENCH-00000..., and vehicles 0.. each with its active identifier vehicle_token(i)."""
    now = now or datetime.now(UTC)
    charger_rows = [
        to_values(
            Charger(
                id=new_id(),
                tenant_id=tenant_id,
                charge_point_id=charge_point_id(i, prefix),
                name=f"Bench charger {i}",
                autocharge_supported=True,
                created_at=now,
            )
        )
        for i in range(chargers)
    ]
    users = -(-vehicles // vehicles_per_user)
    user_rows = [
        to_values(User(id=new_id(), tenant_id=tenant_id, email=f"d{u}@bench.example", name=f"D{u}", created_at=now))
        for u in range(users)
    ]
    vehicle_rows = [
        to_values(
            Vehicle(
                id=new_id(),
                tenant_id=tenant_id,
                user_id=user_rows[v // vehicles_per_user]["id"],
                license_plate=f"BM{v:07d}",
                make="Bench",
                model="EV",
                created_at=now,
            )
        )
        for v in range(vehicles)
    ]
    identifier_rows = [
        to_values(
            VehicleIdentifier(
                id=new_id(),
                tenant_id=tenant_id,
                vehicle_id=vehicle_rows[v]["id"],
                value=vehicle_token(v),
                source=IdentifierSource.MANUAL,
                captured_at=now,
            )
        )
        for v in range(vehicles)
    ]
    fleet = Fleet(
        charger_ids=[row["id"] for row in charger_rows],
        user_ids=[row["id"] for row in user_rows],
        vehicle_ids=[row["id"] for row in vehicle_rows],
        vehicle_user_ids=[row["user_id"] for row in vehicle_rows],
        identifier_values=[row["value"] for row in identifier_rows],
    )
    tables = {
        "chargers": charger_rows,
        "users": user_rows,
        "vehicles": vehicle_rows,
        "vehicle_identifiers": identifier_rows,
    }
    return fleet, tables


async def seed_fleet(url: str, tenant_id: UUID, chargers: int, vehicles: int, **options: Any) -> Fleet:
    fleet, tables = fleet_rows(tenant_id, chargers, vehicles, **options)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with connection.transaction():
            for table, rows in tables.items():  # in foreign-key order
                await copy(connection, table, rows)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return fleet


async def count(url: str, query: str, *args: Any) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await connection.fetchval(query, *args))
    finally:
        await connection.close()


def throwaway_name(kind: str) -> str:
    return f"autocharge_bench_{kind}_{os.getpid()}"


def batched(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
