"""What a cluster node needs from the bus: presence (who holds which charger) and request/reply between nodes.

Only the cluster uses these, so they live beside it rather than among the domain's ports. The adapters are in
infra/pubsub: Redis for both, and an in-memory Presence the cluster's unit tests run on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Presence(Protocol):
    """Which process (node) holds which charger's connection: a lease per charger that lapses unless refreshed."""

    async def claim(self, charge_point_id: str, node_id: str, ttl: float) -> str | None:
        """Take the charger, whoever held it; returns the previous holder."""
        ...

    async def refresh(self, charge_point_id: str, node_id: str, ttl: float) -> bool:
        """Extend the lease; False when the node no longer holds it."""
        ...

    async def release(self, charge_point_id: str, node_id: str) -> bool:
        """End the lease if the node still holds it."""
        ...

    async def holder(self, charge_point_id: str) -> str | None: ...


CommandHandler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class CommandChannel(Protocol):
    """Request/reply between nodes; payloads and replies are JSON objects."""

    async def request(self, node_id: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:  # noqa: ASYNC109
        """The node's reply. Raises Unavailable when no process serves the node, TimeoutError when no reply
        comes within `timeout` seconds, and the domain error the node's handler raised."""
        ...

    async def serve(self, node_id: str, handler: CommandHandler) -> None:
        """Answer the node's requests with `handler` from now on."""
        ...
