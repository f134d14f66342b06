"""A running API on a real socket: uvicorn on an ephemeral port, fakes behind it, clients in front."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import uvicorn

from infra.pubsub.memory import MemoryEventBus
from tests.api.fakes_api import ApiUnitOfWork, FakeDirectory
from tests.unit.fakes import FakeCommands, Store

ADMIN_A, READER_A, ADMIN_B = "ak_admin_a", "ak_reader_a", "ak_admin_b"
MAX_DEPTH = 8
QUEUE_SIZE = 8


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 8, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class NullJournal:
    def append(self, entry: Any) -> None:
        pass

    async def flush(self) -> None:
        pass


@dataclass
class Api:
    """A running API on a real socket, with its fakes, for two tenants."""

    http: httpx.AsyncClient
    port: int
    store: Store
    bus: MemoryEventBus
    directory: FakeDirectory
    commands: FakeCommands
    clock: FakeClock
    tenant_a: UUID
    tenant_b: UUID

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def uow(self, tenant: UUID | None = None) -> ApiUnitOfWork:
        return ApiUnitOfWork(self.store, tenant or self.tenant_a, self.bus)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, key: str | None = ADMIN_A) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, key: str | None = ADMIN_A) -> Any:
        body = await self.gql(query, variables, key)
        assert "errors" not in body, body
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, key: str | None = ADMIN_A) -> Any:
        body = await self.gql(query, variables, key)
        assert body.get("errors"), body
        return body["errors"][0]


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """Run the app under uvicorn on an ephemeral port of 127.0.0.1, and stop it cleanly."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task
