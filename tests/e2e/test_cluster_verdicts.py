"""Two `autocharge serve` processes over Redis: a verdict held in memory on one never outlives a retirement
committed on the other by more than a second."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from tests.e2e.test_cluster import call, cluster, raw_charger, redis_prefix, story
from tests.servers import Node

__all__ = ["cluster", "redis_prefix"]  # fixtures of test_cluster, shared

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

MAC = "0A1B2C3D4E5F"
PAUSE = 0.1  # between Authorize requests: well under the charger's CALL budget (20/s)
RETIRE = "mutation($i: ID!) { retireVehicleIdentifier(identifierId: $i) { status } }"


async def lookups(node: Node, outcome: str) -> float:
    """The process's count of verdict cache lookups with this outcome (hit, miss, bypassed), from /metrics."""
    async with httpx.AsyncClient(base_url=node.api_url, timeout=10) as client:
        text = (await client.get("/metrics")).text
    found = re.search(rf'^autocharge_verdict_cache_lookups_total{{outcome="{outcome}"}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_an_identifier_retired_on_one_process_is_refused_on_the_other_within_a_second(
    cluster: tuple[Node, Node, str], redis_prefix: str
) -> None:
    async with story(*cluster, redis_prefix) as s:
        identifier = await s.api.add_identifier(s.vehicle_id, MAC)
        async with raw_charger(s.b.ocpp(s.cpid)) as ws:

            async def authorize() -> str:
                answer = await call(ws, "Authorize", {"idTag": "VID:" + MAC})
                return str(answer["idTagInfo"]["status"])

            assert await authorize() == "Accepted"  # marks the charger as reading EVCCIDs
            for _ in range(20):  # until B holds the facts: its subscriptions are confirmed in the background
                assert await authorize() == "Accepted"
                if await lookups(s.b, "hit"):
                    break
                await asyncio.sleep(PAUSE)
            hits = await lookups(s.b, "hit")
            assert hits > 0, "B never answered from memory"

            await s.api(RETIRE, i=identifier["id"])  # committed on A, announced through Redis
            retired = time.monotonic()
            while (status := await authorize()) == "Accepted":
                assert time.monotonic() - retired < 1.0, "B still accepts a retired identifier after a second"
                await asyncio.sleep(PAUSE)
            assert status == "Blocked"
            for _ in range(3):
                assert await authorize() == "Blocked"
            assert await lookups(s.b, "hit") > hits  # the new verdict is held again, and served from memory
