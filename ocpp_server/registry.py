"""The chargers connected to this process; sends them commands (the domain's ChargerCommands port)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol
from uuid import UUID

import structlog
from websockets.frames import CloseCode

from domain.charger_commands import ChargerCommand, CommandAnswer
from domain.errors import Unavailable
from domain.model import Charger

logger = structlog.get_logger(__name__)

# Told a chargePointId when that charger connects to, or leaves, this process (the cluster's presence).
Hook = Callable[[str], Awaitable[None]]


class LiveSession(Protocol):
    """What the registry needs of one charger's connection (ocpp_server.session.ChargerSession)."""

    @property
    def charge_point_id(self) -> str: ...
    @property
    def charger_id(self) -> UUID: ...
    async def close(self, code: int, reason: str, *, moved: bool = False) -> None: ...
    async def execute(self, command: ChargerCommand) -> CommandAnswer: ...
    async def resume(self) -> None: ...


class ConnectionRegistry:
    """Only this process's connections: reaching a charger held by another process is the composition root's job."""

    def __init__(self) -> None:
        self._sessions: dict[str, LiveSession] = {}
        # Connect and disconnect of one charger are serialised, so a replaced connection's late
        # "disconnected" can never overwrite its successor's "connected".
        self._locks: dict[str, asyncio.Lock] = {}
        self._on_connected: Hook | None = None
        self._on_disconnected: Hook | None = None

    def observe(self, on_connected: Hook, on_disconnected: Hook) -> None:
        """Be told, under the charger's lock, when a charger connects here and when its connection here ends."""
        self._on_connected, self._on_disconnected = on_connected, on_disconnected

    async def announce(self, charge_point_id: str, connected: bool) -> None:
        """Call the hook; its failure is logged, never the connection's failure."""
        hook = self._on_connected if connected else self._on_disconnected
        if hook is None:
            return
        try:
            await hook(charge_point_id)
        except Exception as error:
            logger.warning("connection hook failed", charge_point_id=charge_point_id, error=repr(error))

    def is_connected(self, charge_point_id: str) -> bool:
        return charge_point_id in self._sessions

    def connected(self) -> list[str]:
        return sorted(self._sessions)

    def session(self, charge_point_id: str) -> LiveSession | None:
        return self._sessions.get(charge_point_id)

    def lock(self, charge_point_id: str) -> asyncio.Lock:
        return self._locks.setdefault(charge_point_id, asyncio.Lock())

    def attach(self, session: LiveSession) -> LiveSession | None:
        """Make the session the charger's current one; returns the one it replaces."""
        previous = self._sessions.get(session.charge_point_id)
        self._sessions[session.charge_point_id] = session
        return previous if previous is not session else None

    def detach(self, session: LiveSession) -> bool:
        """Forget the session if it is still the current one; False when a newer one replaced it."""
        if self._sessions.get(session.charge_point_id) is not session:
            return False
        del self._sessions[session.charge_point_id]
        return True

    async def close(
        self, charge_point_id: str, code: int = CloseCode.GOING_AWAY, reason: str = "connection moved"
    ) -> bool:
        """Close the charger's connection here (it reconnects, perhaps to another process); False if not here."""
        session = self._sessions.get(charge_point_id)
        if session is None:
            return False
        await session.close(code, reason)
        return True

    async def hand_over(self, charge_point_id: str, reason: str = "connected to another node") -> bool:
        """Close the charger's connection here because it is connected elsewhere now: the charger's recorded
        state belongs to its new connection and is left alone. False if it is not connected here."""
        session = self._sessions.get(charge_point_id)
        if session is None:
            return False
        await session.close(CloseCode.NORMAL_CLOSURE, reason, moved=True)
        return True

    async def resume(self, charge_point_id: str) -> None:
        """The charger's connection here is current: record it so again if another process ended it meanwhile."""
        session = self._sessions.get(charge_point_id)
        if session is not None:
            await session.resume()

    # --- domain.ports.ChargerCommands ---

    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer:
        return await self._require(charger).execute(command)

    def _require(self, charger: Charger) -> LiveSession:
        session = self._sessions.get(charger.charge_point_id)
        if session is None or session.charger_id != charger.id:
            raise Unavailable(f"charger {charger.charge_point_id} is not connected to this process")
        return session
