"""A key revoked through one process of a cluster is refused by every other within a second, open
subscriptions included: two `autocharge serve` processes on one PostgreSQL and one Redis, and the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domain.commands import CreateApiKey, CreateTenant
from domain.model import ApiRole
from domain.services.api_keys import create_key
from domain.services.tenants import create_tenant
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from tests.api.wsclient import authorised_ws
from tests.e2e.harness import Api, running
from tests.e2e.harness import test_settings as settings_for
from tests.e2e.test_api_keys import ME, REVOKE, STATUS, WITHIN, closed_with, refused_within
from tests.e2e.test_cli_admin import autocharge
from tests.e2e.test_cluster import REDIS_URL, redis_prefix, two_nodes  # noqa: F401  (redis_prefix: a fixture)
from tests.servers import HOST

pytestmark = [pytest.mark.redis]


@pytest.mark.postgres
async def test_a_key_revoked_on_one_process_is_refused_by_the_other_within_a_second(
    redis_prefix: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    async with two_nodes(redis_prefix, tmp_path) as (a, b, database_url):
        database = Database(database_url)
        try:
            directory = SqlDirectory(database.session_factory)
            tenant = await create_tenant(directory, CreateTenant("Acme Fleet"))
            _, admin_key = await create_key(directory, CreateApiKey(tenant.id, ApiRole.ADMIN))
            reader, reader_key = await create_key(directory, CreateApiKey(tenant.id, ApiRole.READ_ONLY))
        finally:
            await database.dispose()
        admin_on_a, reader_on_b = Api(a, admin_key), Api(b, reader_key)  # type: ignore[arg-type]
        assert (await reader_on_b(ME))["me"]["role"] == "READ_ONLY"  # B remembers the key from now on
        async with authorised_ws(f"ws://{HOST}:{b.api_port}/graphql", reader_key) as ws:
            await ws.subscribe(STATUS)

            await admin_on_a(REVOKE, id=str(reader.id))

            closed, elapsed = await asyncio.gather(closed_with(ws), refused_within(reader_on_b, WITHIN))
        assert closed == 4403
        assert elapsed < WITHIN
        assert (await reader_on_b.raw(ME))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_key_revoked_by_the_cli_is_refused_by_a_running_server_within_a_second(
    database_url: str,
    redis_prefix: str,  # noqa: F811
) -> None:
    settings = settings_for(database_url, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    async with running(settings) as server:
        tenant = await create_tenant(server.deps.directory, CreateTenant("Acme Fleet"))
        reader, reader_key = await create_key(server.deps.directory, CreateApiKey(tenant.id, ApiRole.READ_ONLY))
        api = Api(server, reader_key)
        assert (await api(ME))["me"]["role"] == "READ_ONLY"  # remembered by the server from now on
        async with api.ws() as ws:
            await ws.subscribe(STATUS)
            environment = {"AUTOCHARGE_REDIS_URL": REDIS_URL, "AUTOCHARGE_REDIS_PREFIX": redis_prefix}

            run = await autocharge(
                "apikey", "revoke", str(reader.id), "--database-url", database_url, settings=environment
            )

            assert run.code == 0, run.stderr
            closed, elapsed = await asyncio.gather(closed_with(ws), refused_within(api, WITHIN))
        assert (closed, elapsed < WITHIN) == (4403, True)
