"""What several processes share through Redis besides events: charger presence, commands to a node."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from redis.asyncio import Redis

from domain.errors import NotFound, Unavailable
from infra.pubsub.commands import CommandTimeout, Handler, RedisCommandChannel, RemoteCommandError
from infra.pubsub.presence import RedisPresence
from tests.redis_support import DOWN_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def presence(redis_url: str, prefix: str) -> AsyncIterator[RedisPresence]:
    presence = RedisPresence(redis_url, prefix=prefix)
    yield presence
    await presence.close()


@pytest.fixture
async def channels(redis_url: str, prefix: str) -> AsyncIterator[tuple[RedisCommandChannel, RedisCommandChannel]]:
    """Two command channels on one Redis, as two processes would have."""
    one = RedisCommandChannel(redis_url, prefix=prefix)
    two = RedisCommandChannel(redis_url, prefix=prefix)
    yield one, two
    await one.close()
    await two.close()


# --- presence ---


async def test_a_claim_names_the_previous_holder(presence: RedisPresence) -> None:
    assert await presence.claim("CP1", "node-a", ttl=30) is None
    assert await presence.claim("CP1", "node-b", ttl=30) == "node-a"
    assert await presence.holder("CP1") == "node-b"
    assert await presence.holder("CP2") is None


async def test_only_the_holder_refreshes_or_releases(presence: RedisPresence) -> None:
    await presence.claim("CP1", "node-a", ttl=30)
    await presence.claim("CP1", "node-b", ttl=30)

    assert not await presence.refresh("CP1", "node-a", ttl=30)
    assert not await presence.release("CP1", "node-a")
    assert await presence.holder("CP1") == "node-b"
    assert await presence.release("CP1", "node-b")
    assert await presence.holder("CP1") is None
    assert not await presence.release("CP1", "node-b")


async def test_a_lease_lapses_unless_refreshed(presence: RedisPresence) -> None:
    await presence.claim("CP1", "node-a", ttl=0.3)
    await asyncio.sleep(0.2)
    assert await presence.refresh("CP1", "node-a", ttl=0.3)
    await asyncio.sleep(0.2)
    assert await presence.holder("CP1") == "node-a"  # 0.4s after the claim, kept by the refresh
    await asyncio.sleep(0.25)

    assert await presence.holder("CP1") is None
    assert not await presence.refresh("CP1", "node-a", ttl=0.3)
    assert await presence.claim("CP1", "node-b", ttl=30) is None


async def test_two_processes_see_the_same_holder(redis_url: str, prefix: str, presence: RedisPresence) -> None:
    other = RedisPresence(redis_url, prefix=prefix)
    try:
        await presence.claim("CP1", "node-a", ttl=30)
        assert await other.holder("CP1") == "node-a"
        assert await other.claim("CP1", "node-b", ttl=30) == "node-a"
        assert not await presence.release("CP1", "node-a")
        assert await presence.holder("CP1") == "node-b"
    finally:
        await other.close()


async def test_presence_raises_unavailable_when_redis_is_down() -> None:
    presence = RedisPresence(DOWN_URL)
    try:
        with pytest.raises(Unavailable):
            await presence.claim("CP1", "node-a", ttl=30)
        with pytest.raises(Unavailable):
            await presence.holder("CP1")
    finally:
        await presence.close()


# --- commands ---


async def echo(payload: dict[str, Any]) -> dict[str, Any]:
    return {"echo": payload, "served_by": "node-b"}


async def test_a_request_gets_the_serving_nodes_reply(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    requester, server = channels
    await server.serve("node-b", echo)
    payload = {"action": "RemoteStartTransaction", "connector_id": 1, "nested": {"ok": [1, 2.5, None]}}

    reply = await requester.request("node-b", payload, timeout=2)

    assert reply == {"echo": payload, "served_by": "node-b"}


async def test_concurrent_requests_get_their_own_replies(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    requester, server = channels

    async def slow_echo(payload: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.1 * (5 - payload["n"]))  # later requests finish first
        return payload

    await server.serve("node-b", slow_echo)

    replies = await asyncio.gather(*(requester.request("node-b", {"n": n}, timeout=3) for n in range(5)))

    assert replies == [{"n": n} for n in range(5)]


async def test_a_request_reaches_only_the_named_node(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    one, two = channels

    def node(name: str) -> Handler:
        async def handler(payload: dict[str, Any]) -> dict[str, Any]:
            return {"node": name}

        return handler

    await one.serve("node-a", node("node-a"))
    await two.serve("node-b", node("node-b"))

    assert await one.request("node-b", {}, timeout=2) == {"node": "node-b"}
    assert await two.request("node-a", {}, timeout=2) == {"node": "node-a"}


async def test_a_domain_error_of_the_handler_is_raised_at_the_requester(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    requester, server = channels

    async def not_here(payload: dict[str, Any]) -> dict[str, Any]:
        raise NotFound(f"charger {payload['cp']} is not connected here")

    await server.serve("node-b", not_here)

    with pytest.raises(NotFound, match="charger CP9 is not connected here"):
        await requester.request("node-b", {"cp": "CP9"}, timeout=2)


async def test_a_crash_of_the_handler_is_a_remote_error(
    channels: tuple[RedisCommandChannel, RedisCommandChannel], caplog: pytest.LogCaptureFixture
) -> None:
    requester, server = channels

    async def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("boom")

    await server.serve("node-b", broken)

    with pytest.raises(RemoteCommandError, match="KeyError"):
        await requester.request("node-b", {}, timeout=2)
    assert "command handler failed" in caplog.text


async def test_a_request_times_out_when_the_node_does_not_answer(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    requester, server = channels

    async def stuck(payload: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(10)
        return {}

    await server.serve("node-b", stuck)

    with pytest.raises(CommandTimeout, match="node-b"):
        await requester.request("node-b", {}, timeout=0.3)
    assert issubclass(CommandTimeout, asyncio.TimeoutError)


async def test_a_request_to_a_node_nobody_serves_fails_at_once(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    requester, _ = channels

    with pytest.raises(Unavailable, match="node-z"):
        await asyncio.wait_for(requester.request("node-z", {}, timeout=30), 2)


async def test_a_request_raises_unavailable_when_redis_is_down() -> None:
    channel = RedisCommandChannel(DOWN_URL)
    try:
        with pytest.raises(Unavailable):
            await channel.request("node-b", {}, timeout=1)
    finally:
        await channel.close()


async def test_a_late_reply_does_not_linger(
    channels: tuple[RedisCommandChannel, RedisCommandChannel], redis_url: str, prefix: str
) -> None:
    requester, server = channels
    replied = asyncio.Event()

    async def late(payload: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0.4)
        replied.set()
        return {"late": True}

    await server.serve("node-b", late)
    with pytest.raises(CommandTimeout):
        await requester.request("node-b", {}, timeout=0.2)
    await asyncio.wait_for(replied.wait(), 2)
    await asyncio.sleep(0.1)

    raw = Redis.from_url(redis_url)
    try:
        keys = await raw.keys(f"{prefix}:reply:*")
        assert len(keys) == 1
        assert 0 < await raw.ttl(keys[0]) <= 60
    finally:
        await raw.aclose()


async def test_a_reply_slower_than_redis_default_socket_timeout_still_arrives(
    channels: tuple[RedisCommandChannel, RedisCommandChannel],
) -> None:
    """redis-py reads with a 10 s timeout unless told otherwise: a command answered after 11 s (a charger taking
    its time) must come back as the answer, not as "Redis is unreachable"."""
    requester, server = channels

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(11)
        return {"accepted": True}

    await server.serve("node-b", slow)
    assert await requester.request("node-b", {}, timeout=14) == {"accepted": True}


def _raw_request(prefix: str, request_id: str, deadline: float) -> bytes:
    reply_to = f"{prefix}:reply:{request_id}"
    return orjson.dumps({"id": request_id, "reply_to": reply_to, "deadline": deadline, "payload": {"n": 1}})


@contextlib.asynccontextmanager
async def counted_node(
    channels: tuple[RedisCommandChannel, RedisCommandChannel], redis_url: str
) -> AsyncIterator[tuple[list[dict[str, Any]], Redis]]:
    """Node B serving requests by recording them; with a raw Redis client to publish requests by hand."""
    _, server = channels
    runs: list[dict[str, Any]] = []

    async def count(payload: dict[str, Any]) -> dict[str, Any]:
        runs.append(payload)
        return {"accepted": True}

    await server.serve("node-b", count)
    raw = Redis.from_url(redis_url)
    try:
        yield runs, raw
    finally:
        await raw.aclose()


async def test_a_request_delivered_twice_runs_once(
    channels: tuple[RedisCommandChannel, RedisCommandChannel], redis_url: str, prefix: str
) -> None:
    async with counted_node(channels, redis_url) as (runs, raw):
        message = _raw_request(prefix, "dup-1", time.time() + 30)
        assert await raw.publish(f"{prefix}:node:node-b", message) == 1
        assert await raw.publish(f"{prefix}:node:node-b", message) == 1  # e.g. a publish retried after a drop
        reply = await raw.blpop([f"{prefix}:reply:dup-1"], timeout=5)
        assert reply is not None and orjson.loads(reply[1]) == {"result": {"accepted": True}}
        await asyncio.sleep(0.3)
        assert runs == [{"n": 1}]
        assert await raw.llen(f"{prefix}:reply:dup-1") == 0  # and no second reply


async def test_a_request_arriving_after_its_deadline_is_refused_not_run(
    channels: tuple[RedisCommandChannel, RedisCommandChannel], redis_url: str, prefix: str
) -> None:
    async with counted_node(channels, redis_url) as (runs, raw):
        await raw.publish(f"{prefix}:node:node-b", _raw_request(prefix, "late-1", time.time() - 1))
        reply = await raw.blpop([f"{prefix}:reply:late-1"], timeout=5)
        assert reply is not None
        error = orjson.loads(reply[1])["error"]
        assert error["code"] == Unavailable.code and "not sent" in error["message"]
        assert runs == []
