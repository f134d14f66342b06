"""Throttled logins on the running server: wrong charger passwords and bad API keys, per identity and per address.

Every client here is on the loopback; Linux routes all of 127.0.0.0/8 there, so binding a client to 127.0.0.2
gives it another source address.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

import domain.secrets
import domain.services.tenants
from autocharge.main import Autocharge
from autocharge.simulator import basic_auth
from tests.e2e.harness import TenantAccess, running, tenant_access
from tests.e2e.harness import test_settings as settings_for

PASSWORD = "correct-horse-battery"
OTHER_ADDRESS = "127.0.0.2"


@asynccontextmanager
async def serving(database_url: str, **settings: Any) -> AsyncIterator[tuple[Autocharge, TenantAccess]]:
    async with running(settings_for(database_url, **settings)) as server:
        yield server, await tenant_access(server, "Acme Fleet")


async def handshake(
    server: Autocharge, cpid: str, password: str, source: str = "127.0.0.1", forwarded_for: str | None = None
) -> int:
    """The handshake's HTTP status: 101 when the charger got its websocket, else the refusal's status."""
    headers = {"Authorization": basic_auth(cpid, password)}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    try:
        async with connect(
            f"{server.ocpp_url}/{cpid}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=headers,
            local_addr=(source, 0),
            open_timeout=30,
        ):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


def refusals(server: Autocharge, kind: str, reason: str) -> float:
    return server.metrics.get_sample_value("autocharge_auth_refusals_total", {"kind": kind, "reason": reason}) or 0


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every scrypt password check the server makes, by the password it was given."""
    checked: list[str] = []
    verify = domain.secrets.verify_password

    def counting(password: str, stored: str) -> bool:
        checked.append(password)
        return verify(password, stored)

    monkeypatch.setattr(domain.secrets, "verify_password", counting)
    return checked


async def test_after_n_wrong_passwords_even_the_right_one_is_refused_with_401_without_being_hashed(
    database_url: str, password_checks: list[str]
) -> None:
    async with serving(database_url, auth_failure_limit_per_identity="3/minute") as (server, acme):
        await acme.admin.register_charger("CP-1", password=PASSWORD)
        await acme.admin.register_charger("CP-2", password=PASSWORD)

        wrong = [await handshake(server, "CP-1", f"guess-{n}") for n in range(3)]
        checks_before = len(password_checks)
        try:
            async with connect(
                f"{server.ocpp_url}/CP-1",
                subprotocols=[Subprotocol("ocpp1.6")],
                additional_headers={"Authorization": basic_auth("CP-1", PASSWORD)},
            ):
                raise AssertionError("a locked-out charger was let in")
        except InvalidStatus as refused:
            locked = refused.response
        checks_locked = len(password_checks) - checks_before
        other_charger = await handshake(server, "CP-2", PASSWORD)  # same address, another identity

        assert wrong == [401, 401, 401]
        assert locked.status_code == 401
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        assert checks_locked == 0  # refused before the password was hashed
        assert refusals(server, "charger", "wrong_credential") == 3
        assert refusals(server, "charger", "identity_locked") == 1
        assert other_charger == 101


async def test_wrong_passwords_from_one_address_lock_that_address_out_but_not_another(database_url: str) -> None:
    async with serving(database_url, auth_failure_limit_per_address="4/minute") as (server, acme):
        for n in range(5):
            await acme.admin.register_charger(f"CP-{n}", password=PASSWORD)

        wrong = [await handshake(server, f"CP-{n}", "guess") for n in range(4)]
        same_address = await handshake(server, "CP-4", PASSWORD)
        other_address = await handshake(server, "CP-4", PASSWORD, source=OTHER_ADDRESS)

        assert wrong == [401] * 4
        assert (same_address, other_address) == (401, 101)
        assert refusals(server, "charger", "address_locked") == 1


async def test_a_good_charger_handshakes_promptly_during_a_storm_of_200_wrong_passwords(database_url: str) -> None:
    # Few hashes allowed per address, and a long handshake timeout: scrypt costs ~150 ms of CPU on a loaded test
    # machine, and the test measures the good charger's wait, not the storm's.
    limits = {"auth_failure_limit_per_address": "5/minute", "ocpp_handshake_timeout_seconds": 60}
    async with serving(database_url, **limits) as (server, acme):
        await acme.admin.register_charger("GOOD", password=PASSWORD)
        for n in range(20):
            await acme.admin.register_charger(f"CP-{n}", password=PASSWORD)

        async def timed() -> float:
            started = time.perf_counter()
            assert await handshake(server, "GOOD", PASSWORD, source=OTHER_ADDRESS) == 101
            return time.perf_counter() - started

        quiet = [await timed() for _ in range(5)]
        storm = asyncio.gather(*(handshake(server, f"CP-{n % 20}", f"guess-{n}") for n in range(200)))
        during = [await timed() for _ in range(5)]
        statuses = await storm

    print(
        f"\ngood charger's handshake: median {statistics.median(quiet) * 1000:.0f} ms quiet, "
        f"{statistics.median(during) * 1000:.0f} ms (max {max(during) * 1000:.0f} ms) during 200 wrong passwords; "
        f"{refusals(server, 'charger', 'address_locked'):.0f} of them refused unhashed"
    )
    assert set(statuses) == {401}
    assert refusals(server, "charger", "wrong_credential") == 5  # hashed: only up to the address's limit
    assert refusals(server, "charger", "address_locked") == 195
    assert statistics.median(during) < 2.5  # generous: the machine is shared; scrypt alone takes ~150 ms here


async def test_a_burst_of_chargers_without_a_password_from_one_address_all_connect(database_url: str) -> None:
    """Nothing to guess, nothing counted: a depot behind one NAT reconnecting at once is not throttled."""
    async with serving(database_url, auth_failure_limit_per_address="5/minute") as (server, acme):
        ids = [f"NAT-{n}" for n in range(30)]
        for cpid in ids:
            await acme.admin.register_charger(cpid)

        statuses = await asyncio.gather(*(handshake(server, cpid, "") for cpid in ids))

    assert statuses == [101] * len(ids)
    assert refusals(server, "charger", "address_locked") == 0


# --- API keys ---


async def graphql(
    server: Autocharge, key: str, source: str = "127.0.0.1", forwarded_for: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = (await graphql_response(server, key, source, forwarded_for)).json()
    return body


async def graphql_response(
    server: Autocharge, key: str, source: str = "127.0.0.1", forwarded_for: str | None = None
) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    headers = bearer(key) | ({"X-Forwarded-For": forwarded_for} if forwarded_for else {})
    async with httpx.AsyncClient(base_url=server.api_url, transport=transport, timeout=30) as client:
        return await client.post("/graphql", json={"query": "{ me { tenantId } }"}, headers=headers)


async def export(server: Autocharge, key: str, source: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(base_url=server.api_url, transport=transport, timeout=30) as client:
        return await client.get("/exports/users.csv", headers=bearer(key))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code")


@pytest.fixture
def key_hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every API key the server hashes (to look it up or to find it in its cache)."""
    hashed: list[str] = []
    original = domain.secrets.hash_api_key

    def counting(key: str) -> str:
        hashed.append(key)
        return original(key)

    monkeypatch.setattr(domain.services.tenants, "hash_api_key", counting)
    monkeypatch.setattr("api.auth.hash_api_key", counting)
    return hashed


async def test_bad_api_keys_from_one_address_get_rate_limited_while_a_valid_key_from_another_works(
    database_url: str, key_hashes: list[str]
) -> None:
    async with serving(database_url, auth_failure_limit_per_address="3/minute") as (server, acme):
        bad = [code(await graphql(server, f"ak_guess{n}-xxxxxxxxxxxxxxxxxxxxxx")) for n in range(3)]
        hashes_before = len(key_hashes)
        locked_graphql = await graphql(server, "ak_guess9-xxxxxxxxxxxxxxxxxxxxxx")
        locked_export = await export(server, "ak_guess9-xxxxxxxxxxxxxxxxxxxxxx")
        locked_http = await graphql_response(server, "ak_guess8-xxxxxxxxxxxxxxxxxxxxxx")
        valid_key_same_address = await graphql(server, acme.admin.key)
        hashes_locked = len(key_hashes) - hashes_before
        valid_key_other_address = await graphql(server, acme.admin.key, source=OTHER_ADDRESS)
        export_other_address = await export(server, acme.admin.key, source=OTHER_ADDRESS)

    assert bad == ["UNAUTHENTICATED"] * 3
    assert code(locked_graphql) == "RATE_LIMITED"
    assert "try again in" in locked_graphql["errors"][0]["message"]
    assert (locked_http.status_code, locked_http.json()["errors"][0]["extensions"]["code"]) == (429, "RATE_LIMITED")
    assert 1 <= int(locked_http.headers["Retry-After"]) <= 60
    assert locked_export.status_code == 429
    assert locked_export.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(locked_export.headers["Retry-After"]) <= 60
    assert code(valid_key_same_address) == "RATE_LIMITED"  # the address is locked, whatever key it sends
    assert hashes_locked == 0  # refused before any key was hashed or looked up
    assert valid_key_other_address["data"]["me"]["tenantId"] == str(acme.tenant.id)
    assert export_other_address.status_code == 200
    assert refusals(server, "api_key", "wrong_credential") == 3
    assert refusals(server, "api_key", "address_locked") == 4


async def test_bad_keys_with_one_prefix_from_many_addresses_lock_that_prefix_only(database_url: str) -> None:
    async with serving(database_url, auth_failure_limit_per_identity="3/minute") as (server, acme):
        prefix = acme.admin.key[:10]  # a guesser who knows a key's prefix (the admin UI shows it)
        bad = [code(await graphql(server, f"{prefix}guess{n}", source=f"127.0.0.{n + 2}")) for n in range(3)]
        same_prefix = await graphql(server, f"{prefix}guess9", source="127.0.0.9")
        other_key = await graphql(server, acme.read_only.key, source="127.0.0.9")

    assert bad == ["UNAUTHENTICATED"] * 3
    assert code(same_prefix) == "RATE_LIMITED"
    assert other_key["data"]["me"]["tenantId"] == str(acme.tenant.id)


async def test_bad_keys_on_graphql_websocket_connection_init_are_counted_and_then_refused(database_url: str) -> None:
    from tests.api.wsclient import authorised_ws

    async with serving(database_url, auth_failure_limit_per_address="2/minute") as (server, acme):
        url = f"ws://{server.settings.host}:{server.api_port}/graphql"
        for n in range(2):
            with pytest.raises(Exception, match="4403"):
                async with authorised_ws(url, f"ak_wsguess{n}-xxxxxxxxxxxxxxxxxxx"):
                    pass
        with pytest.raises(Exception, match="4429"):
            async with authorised_ws(url, acme.admin.key):  # a valid key, from the locked address
                pass

    assert refusals(server, "api_key", "wrong_credential") == 2
    assert refusals(server, "api_key", "address_locked") == 1


@pytest.mark.redis
async def test_with_redis_two_processes_count_wrong_passwords_together(
    database_url: str, redis_url: str, prefix: str
) -> None:
    def node(name: str) -> Any:
        return running(
            settings_for(
                database_url,
                redis_url=redis_url,
                redis_prefix=prefix,
                node_id=name,
                auth_failure_limit_per_identity="2/minute",
            )
        )

    async with node("a") as a, node("b") as b:
        acme = await tenant_access(a, "Acme Fleet")
        await acme.admin.register_charger("CP-1", password=PASSWORD)

        wrong = [await handshake(a, "CP-1", "guess-1"), await handshake(b, "CP-1", "guess-2")]
        locked_on_a = await handshake(a, "CP-1", PASSWORD)
        locked_on_b = await handshake(b, "CP-1", PASSWORD)

    assert wrong == [401, 401]
    assert (locked_on_a, locked_on_b) == (401, 401)
    assert refusals(a, "charger", "identity_locked") == refusals(b, "charger", "identity_locked") == 1


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(database_url: str) -> None:
    # The loopback is a trusted proxy by default (AUTOCHARGE_TRUSTED_PROXIES), as nginx on the same host would be.
    async with serving(database_url, auth_failure_limit_per_address="2/minute") as (server, acme):
        await acme.admin.register_charger("CP-1", password=PASSWORD)
        await acme.admin.register_charger("CP-2", password=PASSWORD)
        guesser, neighbour = "203.0.113.7", "203.0.113.8"

        wrong = [await handshake(server, "CP-1", "guess", forwarded_for=guesser) for _ in range(2)]
        charger_statuses = (
            await handshake(server, "CP-2", PASSWORD, forwarded_for=guesser),
            await handshake(server, "CP-2", PASSWORD, forwarded_for=neighbour),
        )
        bad_keys = [code(await graphql(server, f"ak_bad{n}-xxxxxxxxxxxxxxx", forwarded_for=guesser)) for n in range(2)]
        api_codes = (
            code(await graphql(server, acme.admin.key, forwarded_for=guesser)),
            code(await graphql(server, acme.admin.key, forwarded_for=neighbour)),
        )

    assert wrong == [401, 401]
    assert charger_statuses == (401, 101)
    assert bad_keys == ["UNAUTHENTICATED"] * 2
    assert api_codes == ("RATE_LIMITED", None)
