"""An answer leaves only once it and the CALL it answers are stored, unless the database is out."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import CollectorRegistry

from domain.ids import new_id, utcnow
from domain.model import OcppLogEntry
from ocpp_server import journal
from ocpp_server.frames import parse_frame
from ocpp_server.journal import Identity, JournaledConnection
from ocpp_server.metrics import OcppMetrics


class GatedJournal:
    """Stores when the test opens the gate."""

    def __init__(self) -> None:
        self.entries: list[OcppLogEntry] = []
        self.stored = asyncio.Event()

    def append(self, entry: OcppLogEntry) -> None:
        self.entries.append(entry)

    async def flush(self) -> None:
        await self.stored.wait()


class Wire:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def recv(self) -> str:
        raise NotImplementedError

    async def send(self, message: str) -> None:
        self.sent.append(message)


def _connection(store: GatedJournal, wire: Wire, registry: CollectorRegistry) -> JournaledConnection:
    identity = Identity(new_id(), new_id(), "CP-1")
    return JournaledConnection(wire, identity, store, utcnow, OcppMetrics(registry))


async def test_an_answer_waits_until_it_is_stored() -> None:
    store, wire = GatedJournal(), Wire()
    connection = _connection(store, wire, CollectorRegistry())
    answer = json.dumps([3, "h1", {"currentTime": "2026-12-05T08:00:00Z"}])

    sending = asyncio.create_task(connection.send_frame(parse_frame(answer), answer))
    await asyncio.sleep(0.05)
    assert wire.sent == []  # logged, not yet stored: not sent
    assert [entry.unique_id for entry in store.entries] == ["h1"]

    store.stored.set()
    await sending
    assert wire.sent == [answer]


async def test_a_call_to_the_charger_is_not_held_back() -> None:
    store, wire = GatedJournal(), Wire()
    connection = _connection(store, wire, CollectorRegistry())
    command = json.dumps([2, "c1", "Reset", {"type": "Soft"}])

    await asyncio.wait_for(connection.send_frame(parse_frame(command), command), 1)
    assert wire.sent == [command]


async def test_while_the_database_is_out_the_answer_goes_after_a_bounded_wait_and_is_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(journal, "STORE_BEFORE_ANSWER_SECONDS", 0.05)
    store, wire, registry = GatedJournal(), Wire(), CollectorRegistry()
    connection = _connection(store, wire, registry)
    answer = json.dumps([4, "a1", "InternalError", "database unavailable", {}])

    await asyncio.wait_for(connection.send_frame(parse_frame(answer), answer), 1)
    assert wire.sent == [answer]
    assert registry.get_sample_value("ocpp_answers_sent_before_stored_total") == 1
