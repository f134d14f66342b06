"""API keys over the API: created with a name, a role and an expiry, listed without their secret, revoked; a
revoked or expired key is refused at once, its open subscriptions closed with 4403; lastUsedAt is flushed."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed

from autocharge.main import Autocharge
from domain.commands import CreateApiKey, CreateTenant
from domain.model import ApiRole
from domain.services import api_keys
from domain.services.tenants import create_tenant
from tests.api.wsclient import GraphQLWs
from tests.e2e.harness import Api, TenantAccess, eventually, running, tenant_access
from tests.e2e.harness import test_settings as settings_for
from tests.e2e.test_cli_admin import autocharge

KEY_FIELDS = "id name role prefix createdAt expiresAt lastUsedAt revokedAt"
CREATE = (
    "mutation($n: String!, $r: ApiRole!, $e: DateTime) { createApiKey(name: $n, role: $r, expiresAt: $e) {"
    f" secret apiKey {{ {KEY_FIELDS} }} }} }}"
)
REVOKE = f"mutation($id: ID!) {{ revokeApiKey(id: $id) {{ {KEY_FIELDS} }} }}"
KEYS = f"query($all: Boolean) {{ apiKeys(includeRevoked: $all) {{ {KEY_FIELDS} }} }}"
ME = "{ me { role } }"
STATUS = "subscription { chargerStatus { connectionState } }"
# A revocation or an expiry reaches open sockets within this.
WITHIN = 1.0


async def create_key(admin: Api, name: str, role: str = "READ_ONLY", expires_at: datetime | None = None) -> Api:
    created = (await admin(CREATE, n=name, r=role, e=expires_at and expires_at.isoformat()))["createApiKey"]
    api = Api(admin.server, created["secret"])
    api.id = created["apiKey"]["id"]  # type: ignore[attr-defined]
    return api


async def closed_with(ws: GraphQLWs) -> int | None:
    """The close code the server sent, once the socket is closed (within a second and a margin)."""
    async with asyncio.timeout(WITHIN + 1):
        with pytest.raises(ConnectionClosed):
            await drain(ws)
    return ws.connection.close_code


async def drain(ws: GraphQLWs) -> None:
    while True:
        await ws.connection.recv()


async def refused_within(api: Api, seconds: float) -> float:
    """How long until `api`'s key is refused; fails past `seconds`."""
    start = time.monotonic()
    async with asyncio.timeout(seconds):
        # Polling on purpose: the other process forgets the key on its own, with nothing here to await.
        while (await api.raw(ME)).get("errors") is None:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return time.monotonic() - start


async def test_a_key_is_created_with_a_name_role_and_expiry_and_listed_without_its_secret(acme: TenantAccess) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)

    created = (await acme.admin(CREATE, n=" fleet sync ", r="READ_ONLY", e=expires.isoformat()))["createApiKey"]

    key, secret = created["apiKey"], created["secret"]
    assert (key["name"], key["role"], key["prefix"]) == ("fleet sync", "READ_ONLY", secret[:10])
    assert datetime.fromisoformat(key["expiresAt"]) == expires and key["revokedAt"] is None
    assert (await Api(acme.admin.server, secret)(ME))["me"]["role"] == "READ_ONLY"
    listed = (await acme.admin(KEYS))["apiKeys"]
    assert [k["id"] for k in listed][-1] == key["id"] and len(listed) == 3  # beside the fixture's two keys
    assert all(secret not in str(value) for k in listed for value in k.values())


async def test_read_only_keys_may_not_list_keys_and_nobody_sees_another_tenants_keys(
    acme: TenantAccess, globex: TenantAccess
) -> None:
    assert await acme.read_only.error_code(KEYS) == "FORBIDDEN"
    globex_key = await create_key(globex.admin, "theirs")

    assert globex_key.id not in [k["id"] for k in (await acme.admin(KEYS, all=True))["apiKeys"]]  # type: ignore[attr-defined]
    assert await acme.admin.error_code(REVOKE, id=globex_key.id) == "NOT_FOUND"  # type: ignore[attr-defined]
    assert (await globex_key(ME))["me"]["role"] == "READ_ONLY"
    assert await acme.admin.error_code(CREATE, n="x", r="ADMIN", e="2020-01-01T00:00:00Z") == "VALIDATION"


async def test_a_revoked_key_is_refused_at_once_and_its_open_subscription_is_closed_with_4403(
    acme: TenantAccess,
) -> None:
    reader = await create_key(acme.admin, "integration")
    assert (await reader(ME))["me"]["role"] == "READ_ONLY"  # remembered by this process from now on
    async with reader.ws() as ws:
        await ws.subscribe(STATUS)
        await asyncio.sleep(0.1)  # the subscription is running

        revoked = (await acme.admin(REVOKE, id=reader.id))["revokeApiKey"]  # type: ignore[attr-defined]

        assert revoked["revokedAt"] is not None
        assert await closed_with(ws) == 4403
    assert await reader.error_code(ME) == "UNAUTHENTICATED"
    listed = (await acme.admin(KEYS))["apiKeys"]
    assert reader.id not in [k["id"] for k in listed]  # type: ignore[attr-defined]
    assert reader.id in [k["id"] for k in (await acme.admin(KEYS, all=True))["apiKeys"]]  # type: ignore[attr-defined]
    again = (await acme.admin(REVOKE, id=reader.id))["revokeApiKey"]  # type: ignore[attr-defined]
    assert again["revokedAt"] == revoked["revokedAt"]  # the first revocation stands


async def test_an_expired_key_is_refused_and_its_open_subscription_is_closed_with_4403(acme: TenantAccess) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    reader = await create_key(acme.admin, "short-lived", expires_at=expires)
    assert (await reader(ME))["me"]["role"] == "READ_ONLY"
    async with reader.ws() as ws:
        await ws.subscribe(STATUS)

        assert await closed_with(ws) == 4403

    assert datetime.now(UTC) >= expires
    assert await reader.error_code(ME) == "UNAUTHENTICATED"


async def test_last_used_at_is_written_in_batches(database_url: str) -> None:
    async with running(settings_for(database_url, api_key_usage_flush_seconds=0.2)) as server:
        acme = await tenant_access(server, "Acme Fleet")
        reader = await create_key(acme.admin, "integration")
        assert (await acme.admin(KEYS))["apiKeys"][-1]["lastUsedAt"] is None
        before = datetime.now(UTC)

        await reader(ME)

        async def used() -> bool:
            last = (await acme.admin(KEYS))["apiKeys"][-1]["lastUsedAt"]
            return last is not None and datetime.fromisoformat(last) >= before

        await eventually(used)


async def test_a_server_stopping_writes_the_last_uses(database_url: str) -> None:
    server: Autocharge
    async with running(settings_for(database_url)) as server:  # the default flush period: a minute
        acme = await tenant_access(server, "Acme Fleet")
        reader = await create_key(acme.admin, "integration")
        await reader(ME)
    async with running(settings_for(database_url)) as server:
        keys = (await Api(server, acme.admin.key)(KEYS))["apiKeys"]
        assert keys[-1]["lastUsedAt"] is not None


async def test_a_key_revoked_by_the_cli_is_refused_by_a_server_without_redis_within_a_second(
    database_url: str,
) -> None:
    """Alone, the server hears of a revocation by another process through the database (announce_revocations)."""
    async with running(settings_for(database_url)) as server:
        tenant = await create_tenant(server.deps.directory, CreateTenant("Acme Fleet"))
        reader, reader_key = await api_keys.create_key(
            server.deps.directory, CreateApiKey(tenant.id, ApiRole.READ_ONLY)
        )
        api = Api(server, reader_key)
        assert (await api(ME))["me"]["role"] == "READ_ONLY"  # remembered by the server from now on
        async with api.ws() as ws:
            await ws.subscribe(STATUS)

            run = await autocharge("apikey", "revoke", str(reader.id), "--database-url", database_url)

            assert run.code == 0, run.stderr
            closed, elapsed = await asyncio.gather(closed_with(ws), refused_within(api, WITHIN))
        assert (closed, elapsed < WITHIN) == (4403, True)
