"""The chargers' frames are stored by group commits: several chargers' frames in one database transaction, each
frame answered only once that transaction is committed, every frame of a failed one answered InternalError."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from autocharge.main import Autocharge
from tests.e2e import harness
from tests.e2e.harness import Api, TenantAccess, eventually, raw_connection, running, tenant_access

CONNECTORS = "query($c: ID!) { charger(id: $c) { connectors { connectorId status } } }"


class Commits:
    """The group commit's before_commit hook: counts the batches' units; can hold the next commit, or fail all."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[int] = []
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.fail = fail

    async def __call__(self, units: int) -> None:
        self.batches.append(units)
        self.held.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the disk is full")


@asynccontextmanager
async def connected(server: Autocharge, tenant: TenantAccess, count: int) -> AsyncIterator[list[tuple[str, Any]]]:
    """`count` registered chargers on raw websockets: [(charger id, websocket)]."""
    async with AsyncExitStack() as stack:
        sockets = []
        for i in range(count):
            charger_id = await tenant.admin.register_charger(f"GC-{i}")
            sockets.append((charger_id, await stack.enter_async_context(raw_connection(server, f"GC-{i}"))))
        # The connections are recorded by units of work of their own, after the handshake: they are committed
        # before the test counts its frames' commits.
        await eventually(lambda: all_connected(tenant, [charger_id for charger_id, _ in sockets]))
        yield sockets


async def all_connected(tenant: TenantAccess, charger_ids: list[str]) -> bool:
    for charger_id in charger_ids:
        found = await tenant.read_only("query($c: ID!) { charger(id: $c) { connectionState } }", c=charger_id)
        if found["charger"]["connectionState"] != "CONNECTED":
            return False
    return True


async def send_status(ws: Any, connector: int = 1) -> None:
    payload = {"connectorId": connector, "errorCode": "NoError", "status": "Charging"}
    await ws.send(json.dumps([2, f"status-{connector}", "StatusNotification", payload]))


async def answer(ws: Any) -> list[Any]:
    return list(json.loads(await asyncio.wait_for(ws.recv(), 10)))


async def connectors(tenant: TenantAccess, charger_id: str) -> list[dict[str, Any]]:
    return list((await tenant.read_only(CONNECTORS, c=charger_id))["charger"]["connectors"])


async def test_frames_are_answered_only_after_the_commit_that_stores_them(
    server: Autocharge, acme: TenantAccess
) -> None:
    async with connected(server, acme, 3) as chargers:
        commits = server.group_commit.before_commit = Commits()
        commits.release.clear()
        (_, first), *others = chargers

        await send_status(first)
        await asyncio.wait_for(commits.held.wait(), 10)  # the first frame's commit is under way, and held
        for _, ws in others:
            await send_status(ws)
        await asyncio.sleep(0.2)
        for _, ws in chargers:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.05)  # nothing answered before its commit
        commits.release.set()

        assert [await answer(ws) for _, ws in chargers] == [[3, "status-1", {}]] * 3
        # The first frame's commit alone; the two that came while it was held, each in a commit after it.
        assert commits.batches[0] == 1
        assert sum(commits.batches) == 3
        for charger_id, _ in chargers:
            assert await connectors(acme, charger_id) == [{"connectorId": 1, "status": "Charging"}]


async def test_a_failed_commit_answers_every_frame_in_it_with_internal_error_and_stores_none(
    server: Autocharge, acme: TenantAccess
) -> None:
    async with connected(server, acme, 3) as chargers:
        commits = server.group_commit.before_commit = Commits(fail=True)
        server.group_commit.window_seconds = 0.5  # the three frames in one batch per lane

        for _, ws in chargers:
            await send_status(ws)
        answers = [await answer(ws) for _, ws in chargers]

        assert [frame[:3] for frame in answers] == [[4, "status-1", "InternalError"]] * 3
        assert sum(commits.batches) == 3
        for charger_id, _ in chargers:
            assert await connectors(acme, charger_id) == []


async def test_stopping_the_server_commits_the_frames_waiting_for_their_commit(database_url: str) -> None:
    server = await Autocharge(harness.test_settings(database_url)).__aenter__()
    stopping: asyncio.Task[None] | None = None
    try:
        acme = await tenant_access(server, "Acme")
        async with connected(server, acme, 3) as chargers:
            server.group_commit.window_seconds = 1.0  # the frames still wait for their commit at shutdown
            for _, ws in chargers:
                await send_status(ws)
            await asyncio.sleep(0.1)
            stopping = asyncio.create_task(server.__aexit__(None, None, None))
            answers = [await answer_or_close(ws) for _, ws in chargers]
            await stopping
    finally:
        if stopping is None:  # the test failed before the shutdown it is about
            await server.__aexit__(None, None, None)
    # A frame is answered only once stored; the shutdown's close may come first, but nothing is lost either way.
    assert all(frame in ([3, "status-1", {}], None) for frame in answers), answers
    async with running(harness.test_settings(database_url)) as again:
        access = TenantAccess(acme.tenant, Api(again, acme.admin.key), Api(again, acme.read_only.key))
        for charger_id, _ in chargers:
            assert await connectors(access, charger_id) == [{"connectorId": 1, "status": "Charging"}]


async def answer_or_close(ws: Any) -> list[Any] | None:
    try:
        return await answer(ws)
    except ConnectionClosed:
        return None
