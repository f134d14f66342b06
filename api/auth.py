"""Where API keys come from (the Authorization header, a websocket's connection_init payload), and who they are."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import HTTPConnection

from domain.errors import Unauthenticated
from domain.model import Principal
from domain.ports import Directory
from domain.secrets import hash_api_key
from domain.services.login_throttle import CredentialKind, LoginThrottle
from domain.services.tenants import authenticate

_BEARER = "bearer "
PRINCIPAL_TTL_SECONDS = 30.0
_MAX_PRINCIPALS = 1024
# A key's identity for the login throttle: the prefix the directory stores and shows (see create_api_key).
KEY_IDENTITY_LENGTH = 10

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

    Every request carries its key, and looking it up is a database round trip per request. The price: a
    revoked key (or a deleted tenant) keeps working for up to `ttl` seconds in each process that accepted it
    recently. Refusals are not remembered, so a key created a moment ago works at once. Entries are keyed by
    the key's SHA-256, never by the secret itself.
    """

    def __init__(
        self,
        directory: Directory,
        ttl: float = PRINCIPAL_TTL_SECONDS,
        *,
        max_entries: int = _MAX_PRINCIPALS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = directory
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    async def authenticate(self, key: str | None) -> Principal:
        """The caller's principal; the domain's Unauthenticated (with its reason) otherwise."""
        if not key or self._ttl <= 0:
            return await authenticate(self._directory, key)
        digest = hash_api_key(key.strip())
        now = self._clock()
        entry = self._entries.get(digest)
        if entry is not None and entry[0] > now:
            return entry[1]
        try:
            principal = await authenticate(self._directory, key)
        except Unauthenticated:
            self._entries.pop(digest, None)
            raise
        self._remember(digest, now + self._ttl, principal)
        return principal

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
