"""A small graphql-transport-ws client over real sockets, so tests see every protocol message."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

PROTOCOL = "graphql-transport-ws"
WAIT_SECONDS = 5


class GraphQLWs:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = 0

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        payload = {"query": query, "variables": variables or {}}
        await self.connection.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        return op_id

    async def complete(self, op_id: str) -> None:
        await self.connection.send(json.dumps({"id": op_id, "type": "complete"}))

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(WAIT_SECONDS):  # a missing message fails the test instead of hanging it
            message: dict[str, Any] = json.loads(await self.connection.recv())
        return message

    async def next_data(self) -> Any:
        message = await self.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]


@asynccontextmanager
async def graphql_ws(
    url: str, init_payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[GraphQLWs]:
    """Connect and initialise; the caller checks the answer to connection_init with `receive`."""
    async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers) as connection:  # type: ignore[list-item]
        assert connection.subprotocol == PROTOCOL
        await connection.send(json.dumps({"type": "connection_init", "payload": init_payload or {}}))
        yield GraphQLWs(connection)


@asynccontextmanager
async def authorised_ws(url: str, key: str) -> AsyncIterator[GraphQLWs]:
    async with graphql_ws(url, {"authorization": f"Bearer {key}"}) as ws:
        assert (await ws.receive())["type"] == "connection_ack"
        yield ws
