"""API keys of a tenant: create, list, revoke; expiry; when each key was last used."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.commands import CreateApiKey, RevokeApiKey
from domain.errors import Invalid, NotFound, Unauthenticated, Unavailable
from domain.events import ApiKeyRevoked
from domain.ids import Clock, new_id, utcnow
from domain.model import ApiKey, Principal
from domain.ports import Directory, EventBus
from domain.secrets import hash_api_key, new_api_key

# How many characters of a secret are kept in clear, to recognise a key (and to throttle guesses at it).
PREFIX_LENGTH = 10
MAX_NAME_LENGTH = 200


async def create_key(directory: Directory, cmd: CreateApiKey, clock: Clock = utcnow) -> tuple[ApiKey, str]:
    """Returns the stored key and the secret itself, which is shown once and never stored."""
    now = clock()
    name, expires_at = cmd.name.strip(), cmd.expires_at
    if len(name) > MAX_NAME_LENGTH:
        raise Invalid(f"an API key's name has at most {MAX_NAME_LENGTH} characters")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("expiresAt needs a time zone, e.g. 2030-01-01T00:00:00Z")
        if expires_at <= now:
            raise Invalid("expiresAt must be in the future")
    secret = new_api_key()
    key = ApiKey(
        id=new_id(),
        tenant_id=cmd.tenant_id,
        role=cmd.role,
        key_hash=hash_api_key(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=now,
        name=name,
        expires_at=expires_at,
    )
    await directory.add_api_key(key)
    return key, secret


async def revoke_key(directory: Directory, bus: EventBus, cmd: RevokeApiKey, clock: Clock = utcnow) -> ApiKey:
    """Revoked in the database, then announced to every process (which drop it from caches and sockets)."""
    tenant_id, key_id = cmd.tenant_id, cmd.key_id
    key = await directory.revoke_api_key(tenant_id, key_id, clock())
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    try:
        await bus.publish(tenant_id, [ApiKeyRevoked(tenant_id=tenant_id, key_id=key_id)])
    except Unavailable:
        raise Unavailable(
            "the key is revoked, but other processes could not be told (the event bus is unreachable): "
            "they may accept it until their cache of keys lapses (30 seconds)"
        ) from None
    return key


def still_valid(principal: Principal, now: datetime) -> Principal:
    """The principal, unless its key has expired (Unauthenticated)."""
    if principal.expired(now):
        raise Unauthenticated("this API key has expired")
    return principal


class KeyUsage:
    """When each key was last used, kept in memory and written in one batch now and then (see flush).

    A write per request would double the database work of every read; lastUsedAt may lag by the flush period.
    """

    def __init__(self, directory: Directory, clock: Clock = utcnow) -> None:
        self._directory = directory
        self._clock = clock
        self._pending: dict[UUID, datetime] = {}

    def used(self, principal: Principal) -> None:
        if principal.key_id is not None:
            self._pending[principal.key_id] = self._clock()

    async def flush(self) -> int:
        """Write what was used since the last flush; returns how many keys. Kept for next time on failure."""
        pending, self._pending = self._pending, {}
        if not pending:
            return 0
        try:
            await self._directory.record_key_use(pending)
        except Exception:
            for key_id, at in pending.items():  # newer uses meanwhile win
                self._pending.setdefault(key_id, at)
            raise
        return len(pending)
