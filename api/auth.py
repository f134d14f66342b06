"""Where API keys come from (the Authorization header, a websocket's connection_init payload), and who they are."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from uuid import UUID

import structlog
from starlette.requests import HTTPConnection

from domain.commands import Authenticate
from domain.errors import Unauthenticated
from domain.events import API_KEYS_TOPIC, ApiKeyRevoked
from domain.ids import Clock, utcnow
from domain.model import Principal
from domain.ports import Directory, EventBus
from domain.secrets import hash_api_key
from domain.services.api_keys import PREFIX_LENGTH, KeyUsage, still_valid
from domain.services.login_throttle import CredentialKind, LoginThrottle
from domain.services.tenants import authenticate

_BEARER = "bearer "
PRINCIPAL_TTL_SECONDS = 30.0
_MAX_PRINCIPALS = 1024
# A key's identity for the login throttle: the prefix the directory stores and shows (see create_key).
KEY_IDENTITY_LENGTH = PREFIX_LENGTH
# How long a request waits for this process to start hearing a tenant's revocations before the key is looked up
# without being remembered.
LISTEN_TIMEOUT_SECONDS = 2.0

log = structlog.get_logger(__name__)

Authenticator = Callable[[str | None], Awaitable[Principal]]


def bearer_key(header: str | None) -> str | None:
    """The key of 'Bearer <key>' (scheme in any case), or None when there is none."""
    if not header or not header.lower().startswith(_BEARER):
        return None
    return header[len(_BEARER) :].strip() or None


def key_from_params(params: Mapping[str, Any] | None) -> str | None:
    """graphql-transport-ws clients spell the header name in every case: accept any."""
    for name, value in (params or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            return bearer_key(value)
    return None


class PrincipalCache:
    """The domain's `authenticate`, remembering each accepted key for `ttl` seconds in this process.

    Every request carries its key, and looking it up is a database round trip per request. Refusals are not
    remembered, so a key created a moment ago works at once. Entries are keyed by the key's SHA-256, never by
    the secret itself. A remembered key's expiry is checked on every use.

    With a `bus`, a tenant's keys are remembered only while this process listens to that tenant's revocations
    (ApiKeyRevoked, from any process of the cluster): a revoked key is forgotten as soon as the event arrives.
    When the listener is cut off (events may have been missed), the tenant's entries are forgotten. Without a
    bus, a revoked key keeps working for up to `ttl` seconds. `usage` hears of every accepted use.
    """

    def __init__(
        self,
        directory: Directory,
        ttl: float = PRINCIPAL_TTL_SECONDS,
        *,
        max_entries: int = _MAX_PRINCIPALS,
        clock: Callable[[], float] = time.monotonic,
        bus: EventBus | None = None,
        usage: KeyUsage | None = None,
        now: Clock = utcnow,
    ) -> None:
        self._directory = directory
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._bus = bus
        self._usage = usage
        self._now = now
        self._watches: dict[UUID, tuple[asyncio.Task[None], asyncio.Event]] = {}

    async def authenticate(self, key: str | None) -> Principal:
        """The caller's principal; the domain's Unauthenticated (with its reason) otherwise."""
        principal = await self._principal(key)
        if self._usage is not None:
            self._usage.used(principal)
        return principal

    async def _principal(self, key: str | None) -> Principal:
        if not key or self._ttl <= 0:
            return await authenticate(self._directory, Authenticate(key), self._now)
        digest = hash_api_key(key.strip())
        now = self._clock()
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > now:
            try:
                return still_valid(entry[1], self._now())
            except Unauthenticated:
                self._entries.pop(digest, None)
                raise
        try:
            principal = await authenticate(self._directory, Authenticate(key), self._now)
        except Unauthenticated:
            self._entries.pop(digest, None)
            raise
        if await self._watching(principal.tenant_id):
            self._remember(digest, now + self._ttl, principal)
        return principal

    async def close(self) -> None:
        """Stop listening for revocations."""
        tasks = [task for task, _ in self._watches.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _watching(self, tenant_id: UUID) -> bool:
        """Whether this process hears the tenant's revocations (starting to listen when it does not yet)."""
        if self._bus is None:
            return True
        watch = self._watches.get(tenant_id)
        if watch is None:
            ready = asyncio.Event()
            task = asyncio.create_task(self._watch(self._bus, tenant_id, ready), name=f"revocations-{tenant_id}")
            watch = self._watches[tenant_id] = (task, ready)
        task, ready = watch
        if not ready.is_set():
            # Remembered only once listening: a revocation published before would be missed.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(ready.wait()), LISTEN_TIMEOUT_SECONDS)
        return ready.is_set() and not task.done()

    async def _watch(self, bus: EventBus, tenant_id: UUID, ready: asyncio.Event) -> None:
        try:
            async with bus.subscribe(tenant_id, API_KEYS_TOPIC) as events:
                ready.set()
                async for event in events:
                    if isinstance(event, ApiKeyRevoked):
                        revoked = event.key_id
                        self._forget(lambda principal: principal.key_id == revoked)  # noqa: B023 - called at once
        except Exception:  # not listening only means looking keys up again
            log.warning("api_key_revocations_not_heard", tenant_id=str(tenant_id), exc_info=True)
        finally:
            self._forget(lambda principal: principal.tenant_id == tenant_id)
            if self._watches.get(tenant_id, (None,))[0] is asyncio.current_task():
                del self._watches[tenant_id]

    def _forget(self, which: Callable[[Principal], bool]) -> None:
        self._entries = {digest: entry for digest, entry in self._entries.items() if not which(entry[1])}

    def _remember(self, digest: str, expires: float, principal: Principal) -> None:
        if len(self._entries) >= self._max_entries:
            now = self._clock()
            self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
            while len(self._entries) >= self._max_entries:  # all still fresh: drop the oldest
                del self._entries[next(iter(self._entries))]
        self._entries.pop(digest, None)  # re-inserted last, so the dict stays in expiry order
        self._entries[digest] = (expires, principal)


def client_address(connection: HTTPConnection) -> str | None:
    """The caller's IP address as uvicorn reports it (X-Forwarded-For only from the proxies it trusts)."""
    return connection.client.host if connection.client else None


async def authenticate_throttled(
    authenticate_key: Authenticator, logins: LoginThrottle, key: str | None, address: str | None
) -> Principal:
    """`authenticate_key(key)` behind the login throttle (domain.services.login_throttle).

    A key prefix or an address with too many recent bad keys gets RateLimited before the key is hashed or
    looked up; a good key's attempt is forgiven. A missing key is no guess: it is refused as before, neither
    checked against nor counted.
    """
    if not key or not key.strip():
        return await authenticate_key(key)
    identity = key.strip()[:KEY_IDENTITY_LENGTH]
    async with logins.attempt(CredentialKind.API_KEY, identity, address) as attempt:
        try:
            return await authenticate_key(key)
        except Unauthenticated:
            attempt.fail()
            raise
