"""Seed a PostgreSQL database for the per-vehicle query benchmark: chargers, drivers, vehicles, transactions.

    python -m benchmarks.seed                                    # 1,000 / 50,000 / 2,000,000 into autocharge_bench_seed
    python -m benchmarks.seed --vehicles 5000 --transactions 200000 --database autocharge_bench_small

Creates the database (or refuses one that has data, unless --recreate), migrates it with `autocharge
migrate`, creates a tenant with an admin key, and fills the tables by COPY: chargers, users (with an RFID
tag each), vehicles (each with its active identifier) and transactions spread over two years, COMPLETED,
80 % Autocharge / 15 % RFID / 5 % remote. The transactions go in with the table's secondary indexes and
constraints dropped and are then re-created in the same database transaction, so every constraint is
checked on the whole table. Progress on stderr; a JSON summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from benchmarks import _seeding
from benchmarks._ocpp import vehicle_token
from domain.ids import new_id
from infra.db.tables import transactions as transactions_table

CHUNK = 50_000
SPAN = timedelta(days=730)


def _uuid7(ms: int, rand: random.Random) -> UUID:
    """A UUIDv7 of that millisecond, like the ids the application makes (time-ordered)."""
    return UUID(int=(ms << 80) | (0x7 << 76) | (rand.getrandbits(12) << 64) | (0b10 << 62) | rand.getrandbits(62))


def transaction_rows(
    count: int, tenant_id: UUID, fleet: _seeding.Fleet, end: datetime, rand: random.Random
) -> Iterator[tuple[Any, ...]]:
    """Rows in the table's column order, oldest first, so the primary key is appended to."""
    columns = [column.name for column in transactions_table.columns]
    vehicles, owners = fleet.vehicle_ids, fleet.vehicle_user_ids
    tokens = [vehicle_token(i) for i in range(len(vehicles))]
    user_number = {user: n for n, user in enumerate(fleet.user_ids)}
    chargers = fleet.charger_ids
    start = end - SPAN
    step = SPAN.total_seconds() / count
    for k in range(count):
        started = start + timedelta(seconds=k * step + rand.random() * step)
        v = rand.randrange(len(vehicles))
        vehicle, charger, user = vehicles[v], chargers[rand.randrange(len(chargers))], owners[v]
        draw = rand.random()
        if draw < 0.80:
            origin, id_tag = "AUTOCHARGE", tokens[v]
        elif draw < 0.95:
            origin, id_tag = "RFID", f"RFID{user_number[user]:08d}"
        else:
            origin, id_tag = "REMOTE", f"REMOTE-{k}"
        energy = rand.randint(2_000, 80_000)
        kw = rand.choice((7, 11, 22, 50, 150))
        meter_start = rand.randint(0, 50_000_000)
        row = {
            "id": _uuid7(int(started.timestamp() * 1000), rand),
            "tenant_id": tenant_id,
            "charger_id": charger,
            "connector_id": rand.randint(1, 2),
            "ocpp_transaction_id": str(k + 1),
            "start_key": f"seed-{k + 1}",
            "id_tag": id_tag,
            "origin": origin,
            "authorization": "Accepted",
            "status": "COMPLETED",
            "user_id": user,
            "vehicle_id": vehicle,
            "started_at": started,
            "stopped_at": started + timedelta(seconds=energy * 3.6 / kw + 60),
            "meter_start_wh": meter_start,
            "meter_last_wh": meter_start + energy,
            "meter_stop_wh": meter_start + energy,
            "stop_reason": "EVDisconnected" if draw < 0.9 else "Local",
        }
        yield tuple(row[name] for name in columns)


async def _secondary_ddl(connection: asyncpg.Connection, table: str) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements for the table's constraints (but its primary key) and other indexes."""
    constraints = await connection.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
        " WHERE conrelid = $1::regclass AND contype <> 'p'",
        table,
    )
    indexes = await connection.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass)",
        table,
    )
    drop = [f'ALTER TABLE {table} DROP CONSTRAINT "{c["conname"]}"' for c in constraints]
    drop += [f'DROP INDEX "{i["indexname"]}"' for i in indexes]
    create = [i["indexdef"] for i in indexes]
    # Unique constraints first (foreign keys may rely on them), then the rest.
    ordered = sorted(constraints, key=lambda c: not c["definition"].startswith("UNIQUE"))
    create += [f'ALTER TABLE {table} ADD CONSTRAINT "{c["conname"]}" {c["definition"]}' for c in ordered]
    return drop, create


async def copy_transactions(url: str, rows: Iterator[tuple[Any, ...]], total: int) -> None:
    columns = [column.name for column in transactions_table.columns]
    connection = await asyncpg.connect(_seeding.asyncpg_dsn(url))
    try:
        async with connection.transaction():
            drop, create = await _secondary_ddl(connection, "transactions")
            for statement in drop:
                await connection.execute(statement)
            began, done = time.monotonic(), 0
            for chunk in _seeding.batched(rows, CHUNK):
                await connection.copy_records_to_table("transactions", records=chunk, columns=columns)
                done += len(chunk)
                elapsed = time.monotonic() - began
                rate = done / elapsed if elapsed else 0
                eta = (total - done) / rate if rate else 0
                progress(f"transactions {done:,}/{total:,} ({done / total:.0%}) {rate:,.0f} rows/s, ETA {eta:,.0f} s")
            progress(f"re-creating {len(create)} indexes and constraints on {done:,} transactions...")
            for statement in create:
                step = time.monotonic()
                await connection.execute(statement)
                progress(f"  {statement[:90]}... {time.monotonic() - step:.1f} s")
        progress("ANALYZE...")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def seed(args: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    url = _seeding.database_url(args.database_server_url, args.database)
    if args.recreate:
        await _seeding.drop_database(args.database_server_url, args.database)
    with contextlib.suppress(asyncpg.DuplicateDatabaseError):
        await _seeding.create_database(args.database_server_url, args.database)
    progress(f"migrating {args.database}...")
    _seeding.migrate(url)
    if await _seeding.count(url, "SELECT count(*) FROM tenants") > 0:
        raise SystemExit(f"{args.database} already has data: give --recreate to start it afresh")
    tenant = _seeding.create_tenant(url, "Bench Seed")
    progress(f"tenant {tenant.slug}; chargers, users, vehicles, identifiers...")
    rand = random.Random(args.random_seed)
    fleet, tables = _seeding.fleet_rows(
        tenant.id, args.chargers, args.vehicles, vehicles_per_user=args.vehicles_per_user, now=datetime.now(UTC)
    )
    tables["rfid_tags"] = [
        {"id": new_id(), "tenant_id": tenant.id, "user_id": user, "id_tag": f"RFID{n:08d}", "created_at": now()}
        for n, user in enumerate(fleet.user_ids)
    ]
    connection = await asyncpg.connect(_seeding.asyncpg_dsn(url))
    try:
        async with connection.transaction():
            for table, rows in tables.items():
                await _seeding.copy(connection, table, rows)
                progress(f"{table}: {len(rows):,}")
    finally:
        await connection.close()
    rows = transaction_rows(args.transactions, tenant.id, fleet, datetime.now(UTC), rand)
    await copy_transactions(url, rows, args.transactions)
    seconds = time.monotonic() - began
    progress(f"done in {seconds:,.0f} s")
    return {
        "database_url": url,
        "tenant": tenant.slug,
        "api_key": tenant.key,
        "chargers": args.chargers,
        "users": len(fleet.user_ids),
        "vehicles": args.vehicles,
        "transactions": args.transactions,
        "seconds": round(seconds, 1),
    }


def now() -> datetime:
    return datetime.now(UTC)


def progress(text: str) -> None:
    sys.stderr.write(f"[seed] {text}\n")
    sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="autocharge_bench_seed", help="database name (created if missing)")
    parser.add_argument("--database-server-url", default=_seeding.DEFAULT_SERVER_URL)
    parser.add_argument("--recreate", action="store_true", help="drop the database first")
    parser.add_argument("--chargers", type=int, default=1_000)
    parser.add_argument("--vehicles", type=int, default=50_000)
    parser.add_argument("--vehicles-per-user", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=2_000_000)
    parser.add_argument("--random-seed", type=int, default=5)
    args = parser.parse_args()
    if min(args.chargers, args.vehicles, args.vehicles_per_user, args.transactions) < 1:
        parser.error("every count must be at least 1")
    json.dump(asyncio.run(seed(args)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
