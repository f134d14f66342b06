"""The frame journal never stops and loses nothing: odd frames are stored escaped, refused ones are split out and
set aside, outages are waited out with one log line each, and a stop says what it could not store."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from domain.events import OcppFrameLogged
from domain.model import OcppLogEntry
from domain.pagination import PageRequest
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.tables import ocpp_log_dead_letters, ocpp_log_entries
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import a_charger, a_log_entry, a_tenant
from tests.databases import RecordingBus, Seed
from tests.integration.test_db_frame_journal import prepare

JOURNAL = "infra.db.frame_journal"


async def _rows(database: Database, table: Any) -> list[dict[str, Any]]:
    async with database.engine.connect() as connection:
        result = await connection.execute(select(table))
        return [dict(row) for row in result.mappings()]


async def _count(database: Database, table: Any) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


def _published(bus: RecordingBus) -> list[OcppLogEntry]:
    return [event.entry for event in bus.events if isinstance(event, OcppFrameLogged)]


def _sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def _messages(caplog: pytest.LogCaptureFixture, fragment: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == JOURNAL and fragment in r.getMessage()]


async def test_frames_no_column_takes_as_they_are_are_stored_escaped_with_the_original_in_raw(
    seed: Seed, database: Database, bus: RecordingBus, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    odd = {
        "nul": a_log_entry(charger, action="DataTransfer", payload={"vendorId": "acme", "data": "a\x00b"}),
        "surrogate": a_log_entry(charger, action="DataTransfer", payload={"vendorId": "\ud800", "k\udc00": [1]}),
        "long id": a_log_entry(charger, unique_id="U" * 100, payload={"id": "U" * 100}),
        "long action": a_log_entry(charger, action="A" * 100),
        "big payload": a_log_entry(charger, action="DataTransfer", payload={"vendorId": "x", "data": "y" * 5000}),
    }
    good = [a_log_entry(charger, unique_id=f"g{i}") for i in range(3)]
    entries = [good[0], *odd.values(), *good[1:]]
    registry = CollectorRegistry()
    journal = BatchedFrameJournal(database, bus, max_payload_bytes=1000, metrics_registry=registry)
    await journal.start()
    for entry in entries:
        journal.append(entry)
    await journal.stop()

    rows = {row["id"]: row for row in await _rows(database, ocpp_log_entries)}
    assert len(rows) == len(entries) and await _count(database, ocpp_log_dead_letters) == 0
    assert _published(bus) == entries  # published as appended, in order
    assert all(rows[entry.id]["raw"] is None for entry in good)  # unchanged frames carry no copy
    stored = {name: rows[entry.id] for name, entry in odd.items()}
    assert stored["nul"]["payload"] == {"vendorId": "acme", "data": "a\\u0000b"}
    assert stored["surrogate"]["payload"] == {"vendorId": "\\ud800", "k\\udc00": [1]}
    assert stored["long id"]["unique_id"] == "U" * 64
    assert stored["long action"]["action"] == "A" * 64
    assert stored["big payload"]["payload"]["bytes"] > 5000 and "omitted" in stored["big payload"]["payload"]
    for name, entry in odd.items():  # the original, whole, in ASCII-only JSON
        raw = stored[name]["raw"]
        assert raw.isascii()
        original = json.loads(raw)
        assert (original["uniqueId"], original["action"], original["payload"]) == (
            entry.unique_id,
            entry.action,
            entry.payload,
        )
    assert _sample(registry, "ocpp_log_frames_escaped_total") == len(odd)
    assert _sample(registry, "ocpp_log_frames_written_total") == len(entries)
    async with uow_factory(tenant.id) as uow:  # and the log reads back through the repository
        page = await uow.logs.page(charger.id, PageRequest(first=100))
    assert {entry.id for entry in page.items} == {entry.id for entry in entries}


async def test_a_refused_entry_is_split_out_of_its_batch_and_set_aside_and_the_rest_is_stored(
    seed: Seed, database: Database, bus: RecordingBus, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    orphan = a_log_entry(a_charger(tenant.id), unique_id="orphan", payload={"data": "a\x00b"})  # charger never stored
    good = [a_log_entry(charger, unique_id=str(i)) for i in range(1000)]
    entries = [*good[:600], orphan, *good[600:]]
    registry = CollectorRegistry()
    journal = BatchedFrameJournal(
        database, bus, retry_initial_seconds=0.001, attempts_per_entry=2, metrics_registry=registry
    )
    await journal.start()
    with caplog.at_level(logging.WARNING, logger=JOURNAL):
        for entry in entries:
            journal.append(entry)
        await journal.flush()
    await journal.stop()

    assert await _count(database, ocpp_log_entries) == 1000
    assert _published(bus) == good  # in order, around the hole
    # Split in halves, not written one by one: about two writes per level of the split.
    assert journal.batches_written <= 2 * math.ceil(math.log2(len(entries))) + 2
    (letter,) = await _rows(database, ocpp_log_dead_letters)
    assert (letter["id"], letter["charger_id"], letter["charge_point_id"]) == (
        orphan.id,
        orphan.charger_id,
        orphan.charge_point_id,
    )
    assert json.loads(letter["raw"])["payload"] == {"data": "a\x00b"}  # the frame as it was, NUL and all
    assert letter["error"]  # why the database refused it
    assert journal.dead_lettered == 1 and _sample(registry, "ocpp_log_dead_letters_total") == 1
    assert len(_messages(caplog, "set aside")) == 1


async def test_an_entry_already_stored_is_not_set_aside(seed: Seed, database: Database, bus: RecordingBus) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    entry = a_log_entry(charger)
    journal = BatchedFrameJournal(database, bus, retry_initial_seconds=0.001)
    await journal.start()
    journal.append(entry)
    await journal.flush()
    journal.append(entry)  # as after a lost acknowledgement: the same id again
    await journal.stop()
    assert await _count(database, ocpp_log_entries) == 1
    assert await _count(database, ocpp_log_dead_letters) == 0


async def test_an_outage_is_logged_once_and_waited_out_and_a_full_queue_drops_the_oldest_waiting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The outage: a SQLite database whose directory does not exist, so every write fails.
    missing = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'db.sqlite'}")
    registry = CollectorRegistry()
    charger = a_charger(a_tenant().id)
    journal = BatchedFrameJournal(
        missing,
        RecordingBus(),
        max_buffer=10,
        retry_initial_seconds=0.001,
        retry_max_seconds=0.01,
        metrics_registry=registry,
    )
    await journal.start()
    try:
        with caplog.at_level(logging.WARNING, logger=JOURNAL):
            journal.append(a_log_entry(charger))
            while journal.write_failures < 5:  # noqa: ASYNC110 - the journal signals nothing else on failure
                await asyncio.sleep(0.005)
            for _ in range(25):  # 10 wait at most: 15 dropped, the oldest first
                journal.append(a_log_entry(charger))
            while journal.write_failures < 10:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
        assert len(_messages(caplog, "database unavailable")) == 1  # one line for the outage, not one per retry
        assert len(_messages(caplog, "queue full")) == 1
        assert journal.dropped == 15 and _sample(registry, "ocpp_log_frames_dropped_total", reason="queue_full") == 15
        assert _sample(registry, "ocpp_log_database_unavailable") == 1
        assert _sample(registry, "ocpp_log_frames_queued") == 11  # the one in flight and the 10 waiting
    finally:
        with caplog.at_level(logging.WARNING, logger=JOURNAL):
            unstored = await journal.stop(grace_seconds=0.2)
        await missing.dispose()
    assert unstored == 11
    assert _messages(caplog, "not stored") == [
        "frame journal stopped with 11 OCPP frame(s) not stored after 0.2s: the database stayed unavailable"
    ]
    assert _sample(registry, "ocpp_log_frames_dropped_total", reason="stopped") == 11


async def test_the_end_of_an_outage_is_logged_once_and_everything_queued_is_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # As in test_db_frame_journal: the database's folder appears, migrated, only after several failed writes.
    late = tmp_path / "not-yet" / "db.sqlite"
    outage, bus, registry = Database(f"sqlite+aiosqlite:///{late}"), RecordingBus(), CollectorRegistry()
    tenant = a_tenant()
    charger = a_charger(tenant.id)
    journal = BatchedFrameJournal(
        outage, bus, retry_initial_seconds=0.01, retry_max_seconds=0.02, metrics_registry=registry
    )
    entries = [a_log_entry(charger, unique_id=str(i)) for i in range(5)]
    await journal.start()
    try:
        with caplog.at_level(logging.WARNING, logger=JOURNAL):
            for entry in entries:
                journal.append(entry)
            while journal.write_failures < 4:  # noqa: ASYNC110 - the journal signals nothing else on failure
                await asyncio.sleep(0.01)
            ready = tmp_path / "ready" / "db.sqlite"
            ready.parent.mkdir()
            await prepare(f"sqlite+aiosqlite:///{ready}", tenant, charger)
            ready.parent.rename(late.parent)
            await journal.flush()
    finally:
        await journal.stop()
        await outage.dispose()
    assert _published(bus) == entries
    assert len(_messages(caplog, "database unavailable")) == 1
    assert len(_messages(caplog, "available again")) == 1
    assert _sample(registry, "ocpp_log_database_unavailable") == 0


async def test_an_entry_without_any_json_form_is_set_aside_as_its_repr_and_the_writer_carries_on(
    seed: Seed, database: Database, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    circular: dict[str, Any] = {"data": "a\x00b"}
    circular["self"] = circular  # neither a row nor JSON text can hold it
    odd = a_log_entry(charger, payload=circular)
    after = a_log_entry(charger, unique_id="after")
    journal = BatchedFrameJournal(database, bus, retry_initial_seconds=0.001, attempts_per_entry=1)
    await journal.start()
    journal.append(odd)
    journal.append(after)
    async with asyncio.timeout(10):  # a writer that died would never get there
        await journal.flush()
    await journal.stop()
    assert _published(bus) == [after]
    (letter,) = await _rows(database, ocpp_log_dead_letters)
    assert letter["id"] == odd.id and "'self': {...}" in letter["raw"] and "a\\x00b" in letter["raw"]


class _BuggyJournal(BatchedFrameJournal):
    """A journal with a bug after its first write: publishing raises once."""

    failed = False

    async def _publish(self, entries: Sequence[OcppLogEntry]) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("a bug")
        await super()._publish(entries)


async def test_an_unexpected_error_is_counted_and_the_writer_carries_on(
    seed: Seed, database: Database, bus: RecordingBus, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    registry = CollectorRegistry()
    journal = _BuggyJournal(database, bus, metrics_registry=registry)
    await journal.start()
    with caplog.at_level(logging.ERROR, logger=JOURNAL):
        journal.append(a_log_entry(charger, unique_id="first"))
        async with asyncio.timeout(10):  # a writer that died would never get there
            await journal.flush()
        after = a_log_entry(charger, unique_id="after")
        journal.append(after)
        async with asyncio.timeout(10):
            await journal.flush()
    await journal.stop()
    assert _published(bus) == [after]
    assert _sample(registry, "ocpp_log_frames_dropped_total", reason="unexpected_error") == 1
    assert len(_messages(caplog, "unexpected error")) == 1
