"""A websocket's KeyGuard: closes it (4403) on its key's revocation, heard or found again after events stopped."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.websockets import WebSocketState

from api.access import guard
from api.access.guard import KeyGuard
from domain.events import ApiKeyRevoked
from domain.ids import new_id
from domain.model import ApiRole, Principal
from domain.secrets import hash_api_key
from infra.pubsub.memory import MemoryEventBus
from tests.api.fakes_api import FakeDirectory
from tests.api.harness import FakeClock

KEY = "ak_guarded-key"


class StubSocket:
    """What the guard uses of a Starlette WebSocket."""

    application_state = WebSocketState.CONNECTED

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.close_with: tuple[int, str] | None = None

    async def close(self, code: int, reason: str) -> None:
        self.close_with = (code, reason)
        self.closed.set()


def guarded(bus: Any, directory: FakeDirectory) -> tuple[KeyGuard, StubSocket, Principal]:
    principal = Principal(new_id(), "Acme", ApiRole.READ_ONLY, key_id=new_id())
    directory.add_key(KEY, principal)
    socket = StubSocket()
    return KeyGuard(socket, KEY, principal, bus, directory, FakeClock()), socket, principal  # type: ignore[arg-type]


async def test_a_revocation_heard_closes_the_socket_with_4403() -> None:
    directory = FakeDirectory()
    async with MemoryEventBus() as bus:
        key_guard, socket, principal = guarded(bus, directory)
        assert await key_guard.start()
        assert principal.key_id is not None
        await bus.publish(principal.tenant_id, [ApiKeyRevoked(tenant_id=principal.tenant_id, key_id=new_id())])
        await asyncio.sleep(0.01)
        assert not socket.closed.is_set()  # another key's revocation

        await bus.publish(principal.tenant_id, [ApiKeyRevoked(tenant_id=principal.tenant_id, key_id=principal.key_id)])

        await asyncio.wait_for(socket.closed.wait(), 1)
        assert socket.close_with == (4403, "Forbidden: API key revoked")
        await key_guard.stop()


async def test_a_key_revoked_before_the_guard_listens_is_refused_at_once() -> None:
    directory = FakeDirectory()
    async with MemoryEventBus() as bus:
        key_guard, socket, _ = guarded(bus, directory)
        directory.principals.pop(hash_api_key(KEY))

        assert not await key_guard.start()
        assert socket.close_with == (4403, "Forbidden: API key revoked")


async def test_when_events_stop_the_guard_listens_again_and_finds_a_revocation_it_missed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guard, "RELISTEN_SECONDS", 0.01)
    directory = FakeDirectory()
    bus = MemoryEventBus()
    key_guard, socket, _ = guarded(bus, directory)
    assert await key_guard.start()
    directory.principals.pop(hash_api_key(KEY))  # revoked while the bus was down: no event reaches the guard

    await bus.close()

    await asyncio.wait_for(socket.closed.wait(), 1)
    assert socket.close_with == (4403, "Forbidden: API key revoked")
    await key_guard.stop()
