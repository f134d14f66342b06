"""A graphql-transport-ws connection lives only as long as its API key: revoked or expired, it is closed (4403)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from starlette.websockets import WebSocket, WebSocketState

from domain.events import API_KEYS_TOPIC, ApiKeyRevoked
from domain.ids import Clock
from domain.model import Principal
from domain.ports import Directory, EventBus
from domain.secrets import hash_api_key

log = structlog.get_logger(__name__)

FORBIDDEN = 4403  # graphql-transport-ws's close code for a refused connection
# When events stop (Redis lost), how long before listening again and checking the key in the database.
RELISTEN_SECONDS = 1.0
REVOKED = "Forbidden: API key revoked"
EXPIRED = "Forbidden: API key expired"


class KeyGuard:
    """Watches one connection's key: its revocation on the tenant's api_keys topic, and its expiry."""

    def __init__(
        self, websocket: WebSocket, key: str, principal: Principal, bus: EventBus, directory: Directory, now: Clock
    ) -> None:
        self._websocket = websocket
        self._key_hash = hash_api_key(key.strip())
        self._principal = principal
        self._bus = bus
        self._directory = directory
        self._now = now
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, within: float = 5.0) -> bool:
        """Listening within `within` seconds, and the key still valid once listening."""
        self._task = asyncio.create_task(self._run(), name="api-key-guard")
        listening = asyncio.create_task(self._listening.wait())
        try:
            # Whichever comes first: listening, or the guard done already (the key was revoked meanwhile).
            await asyncio.wait({listening, self._task}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            listening.cancel()
        return self._listening.is_set() and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        reason = await self._until_refused()
        log.info("api_key_socket_closed", reason=reason, key_id=str(self._principal.key_id))
        if self._websocket.application_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError):  # the client left meanwhile
                await self._websocket.close(FORBIDDEN, reason)

    async def _until_refused(self) -> str:
        """Why the key stopped being valid: waits until it does."""
        while True:
            try:
                async with self._bus.subscribe(self._principal.tenant_id, API_KEYS_TOPIC) as events:
                    # Checked once listening: a revocation committed before this was not heard.
                    if await self._revoked():
                        return REVOKED
                    self._listening.set()
                    try:
                        async with asyncio.timeout(self._seconds_left()):
                            async for event in events:
                                if isinstance(event, ApiKeyRevoked) and event.key_id == self._principal.key_id:
                                    return REVOKED
                    except TimeoutError:
                        return EXPIRED
            except Exception:
                log.warning("api_key_guard_not_listening", exc_info=True)
            if self._seconds_left() == 0:
                return EXPIRED
            await asyncio.sleep(RELISTEN_SECONDS)  # events stopped: some may be lost, so listen and check again

    async def _revoked(self) -> bool:
        principal = await self._directory.principal_for_key(self._key_hash)
        return principal is None or principal.key_id != self._principal.key_id

    def _seconds_left(self) -> float | None:
        expires_at = self._principal.expires_at
        if expires_at is None:
            return None
        return max(0.0, (expires_at - self._now()).total_seconds())
