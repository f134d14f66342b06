"""A cluster split by role: an `api` process serves GraphQL, an `ocpp` process answers chargers, as one back office.

Both are real `autocharge serve --role ...` processes on one PostgreSQL and one Redis; the test talks to them
only as a front end and a charger would.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from websockets.asyncio.client import connect

from autocharge.simulator import SimulatedCharger
from domain.events import CHARGERS_TOPIC, logs_topic
from tests.e2e.test_cluster import (
    LOGS,
    REMOTE_START,
    STATUS,
    WAIT,
    eventually,
    feeds,
    listened,
    redis_prefix,
    story,
    two_nodes,
)
from tests.servers import HOST, autocharge_command

__all__ = ["redis_prefix"]  # the fixture, used by name

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


async def test_an_api_process_reaches_chargers_held_by_an_ocpp_process(redis_prefix: str, tmp_path: Path) -> None:
    async with two_nodes(redis_prefix, tmp_path, roles=("api", "ocpp")) as (api_node, ocpp_node, database_url):
        async with httpx.AsyncClient(timeout=WAIT) as http:
            # The OCPP process's HTTP port is for operations only; the API process listens for no charger.
            assert (await http.get(f"{ocpp_node.api_url}/graphql")).status_code == 404
            assert (await http.get(f"{ocpp_node.api_url}/")).status_code == 404
            assert (await http.get(f"{ocpp_node.api_url}/health")).status_code == 200
            assert "ocpp_" in (await http.get(f"{ocpp_node.api_url}/metrics")).text
        with pytest.raises(OSError, match=r"Connect call failed|Connection refused"):
            async with connect(api_node.ocpp("NOBODY")):
                pass

        async with story(api_node, ocpp_node, database_url, redis_prefix) as s, feeds(api_node, s.key) as on_api:
            logs = await on_api.subscribe(LOGS, c=s.charger_id)
            status = await on_api.subscribe(STATUS, c=s.charger_id)
            await listened(s.redis, s.prefix, s.tenant_id, logs_topic(UUID(s.charger_id)), CHARGERS_TOPIC)
            async with SimulatedCharger(ocpp_node.ocpp(s.cpid)) as station:
                await on_api.until(status, lambda d: d["chargerStatus"]["connectionState"] == "CONNECTED")
                await eventually(lambda: s.holds(ocpp_node.node_id, s.cpid))
                await station.boot()
                boot = await on_api.until(logs, lambda d: d["ocppLogs"]["messageType"] == "CALL_RESULT")
                assert boot["ocppLogs"]["action"] == "BootNotification"

                assert (await s.api(REMOTE_START, c=s.charger_id, u=s.user_id))["remoteStartTransaction"] is True
                assert (await asyncio.wait_for(station.remote_starts.get(), WAIT)).status == "Accepted"
                sent = await on_api.until(logs, lambda d: d["ocppLogs"]["action"] == "RemoteStartTransaction")
                assert sent["ocppLogs"]["direction"] == "TO_CHARGER"
                assert station.errors == []


async def test_a_split_role_without_redis_is_refused_at_start(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        autocharge_command(),
        "serve",
        "--role",
        "api",
        "--host",
        HOST,
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path / 'roles.db'}",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 2
    assert "role 'api'" in err.decode() and "redis_url" in err.decode()
