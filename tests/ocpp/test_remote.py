"""Remote start and stop through the registry (the domain's ChargerCommands), on both versions."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from ocpp.routing import on
from ocpp.v16 import ChargePoint as Client16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as Client201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from domain.charger_commands import StartCharging, StopCharging
from domain.commands import RemoteStartTransaction, RemoteStopTransaction
from domain.errors import Unavailable
from domain.model import LogDirection, OcppMessageType, TransactionOrigin
from domain.services import remote
from tests.ocpp.conftest import Env, client, raw_socket


class Charger16(Client16):  # type: ignore[misc]
    answer = "Accepted"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, Any]] = []

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> Any:
        self.received.append(("start", (connector_id, id_tag)))
        return result16.RemoteStartTransaction(status=self.answer)

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        self.received.append(("stop", transaction_id))
        return result16.RemoteStopTransaction(status=self.answer)


class Rejecting16(Charger16):
    answer = "Rejected"


class Charger201(Client201):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, Any]] = []

    @on("RequestStartTransaction")
    async def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **kw: Any) -> Any:
        self.received.append(("start", (kw.get("evse_id"), id_token, remote_start_id)))
        return result201.RequestStartTransaction(status="Accepted")

    @on("RequestStopTransaction")
    async def on_request_stop(self, transaction_id: str, **_: Any) -> Any:
        self.received.append(("stop", transaction_id))
        return result201.RequestStopTransaction(status="Accepted")


async def test_remote_start_and_stop_on_16(env: Env) -> None:
    await env.charger()
    user = await env.user()
    async with client(env, cls=Charger16) as cp:
        charger = env.charger_row()
        assert await remote.remote_start(env.uow(), env.registry, RemoteStartTransaction(charger.id, 1, user.id))
        ((_, (connector_id, id_tag)),) = cp.received
        assert connector_id == 1 and not id_tag.startswith("VID:")
        start = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag=id_tag, meter_start=0, timestamp="2026-11-21T08:00:00Z")
        )
        assert start.id_tag_info["status"] == "Accepted"
        (tx,) = env.transactions()
        assert (tx.origin, tx.user_id) == (TransactionOrigin.REMOTE, user.id)
        assert await remote.remote_stop(env.uow(), env.registry, RemoteStopTransaction(tx.id))
        assert cp.received[-1] == ("stop", start.transaction_id)
    entries = [e for e in env.entries() if e.action == "RemoteStartTransaction"]
    assert [(e.direction, e.message_type) for e in entries] == [
        (LogDirection.TO_CHARGER, OcppMessageType.CALL),
        (LogDirection.FROM_CHARGER, OcppMessageType.CALL_RESULT),
    ]
    assert entries[1].payload == {"status": "Accepted"}
    assert env.metric("ocpp_commands_total", action="RemoteStartTransaction", outcome="accepted") == 1


async def test_remote_start_and_stop_on_201_with_a_central_token(env: Env) -> None:
    await env.charger()
    user = await env.user()
    async with client(env, version="2.0.1", cls=Charger201) as cp:
        charger = env.charger_row()
        assert await remote.remote_start(env.uow(), env.registry, RemoteStartTransaction(charger.id, 2, user.id))
        ((_, (evse_id, id_token, remote_start_id)),) = cp.received
        assert evse_id == 2 and id_token["type"] == "Central" and remote_start_id > 0
        started = await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp="2026-11-21T08:00:00Z",
                trigger_reason="RemoteStart",
                seq_no=0,
                transaction_info={"transactionId": "T-9", "remoteStartId": remote_start_id},
                evse={"id": 2},
                id_token={"idToken": id_token["id_token"], "type": "Central"},
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        (tx,) = env.transactions()
        assert (tx.origin, tx.user_id) == (TransactionOrigin.REMOTE, user.id)
        assert (await env.registry.send(charger, StopCharging("T-9"))).accepted
        assert cp.received[-1] == ("stop", "T-9")


async def test_a_rejected_command_is_false(env: Env) -> None:
    await env.charger()
    async with client(env, cls=Rejecting16):
        assert not (await env.registry.send(env.charger_row(), StartCharging(1, "RTAG"))).accepted
    assert env.metric("ocpp_commands_total", action="RemoteStartTransaction", outcome="rejected") == 1


async def test_not_connected_here_is_unavailable(env: Env) -> None:
    await env.charger()
    with pytest.raises(Unavailable):
        await env.registry.send(env.charger_row(), StartCharging(1, "RTAG"))


async def test_a_silent_charger_is_unavailable_after_the_command_timeout(env: Env) -> None:
    await env.charger()
    await env.start(command_timeout_seconds=0.3)
    async with raw_socket(env) as ws:
        with pytest.raises(Unavailable, match="did not answer"):
            await env.registry.send(env.charger_row(), StopCharging("7"))
        frame = orjson.loads(await ws.recv())
        assert frame[2:] == ["RemoteStopTransaction", {"transactionId": 7}]


async def test_a_charger_leaving_mid_command_is_unavailable_at_once(env: Env) -> None:
    await env.charger()
    await env.start(command_timeout_seconds=30)
    async with raw_socket(env) as ws:
        command = asyncio.ensure_future(env.registry.send(env.charger_row(), StartCharging(1, "RTAG")))
        await ws.recv()
        await ws.close()
        async with asyncio.timeout(2):
            with pytest.raises(Unavailable):
                await command
