"""The running server's GraphQL limits with its default settings, over HTTP: what a hostile client meets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, http_get, running, tenant_access
from tests.e2e.harness import test_settings as settings_for
from tests.graphql_documents import nested_query

# One page of chargers: 1 + 50 x (edges, node, id, chargePointId) = 201.
PAGE = "chargers(first: 50) { edges { node { id chargePointId } } }"


def _aliased(count: int) -> str:
    return "{ " + " ".join(f"c{i}: {PAGE}" for i in range(count)) + " }"


async def _post(server: Autocharge, query: str, key: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as client:
        return await client.post("/graphql", json={"query": query}, headers=headers)


def _refusal(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


async def test_queries_15_deep_run_by_default_and_16_are_refused(acme: TenantAccess) -> None:
    assert "errors" not in await acme.read_only.raw(nested_query(15))
    assert _refusal(await acme.read_only.raw(nested_query(16))) == (
        "VALIDATION",
        "'anonymous' exceeds maximum operation depth of 15",
    )


async def test_the_abusive_query_is_refused_and_the_costliest_allowed_one_runs(
    server: Autocharge, acme: TenantAccess
) -> None:
    abusive = await acme.read_only.raw(_aliased(500))  # issue 10's: 500 aliases of chargers(first: 50)
    costliest = await acme.read_only.raw(_aliased(49))  # 49 x 201 = 9,849
    one_page_more = await acme.read_only.raw(_aliased(50))  # 10,050
    metrics = (await http_get(server, "/metrics")).text

    assert _refusal(abusive) == ("VALIDATION", "500 aliases found. Allowed: 100")
    assert sorted(costliest["data"]) == sorted(f"c{i}" for i in range(49))
    assert _refusal(one_page_more)[1].startswith("query cost 10050 exceeds the maximum of 10000")
    assert 'api_limit_refusals_total{limit="cost"} 1.0' in metrics


async def test_a_document_over_64_kib_is_refused(server: Autocharge, acme: TenantAccess) -> None:
    query = "{ me { role } }"
    at_limit = query + " " * (65536 - len(query))

    assert (await _post(server, at_limit, acme.read_only.key)).json()["data"] == {"me": {"role": "READ_ONLY"}}
    assert _refusal((await _post(server, at_limit + " ", acme.read_only.key)).json()) == (
        "VALIDATION",
        "document size 65537 bytes exceeds the maximum of 65536 bytes",
    )


async def test_introspection_needs_a_valid_key(server: Autocharge, acme: TenantAccess) -> None:
    query = "{ __schema { queryType { name } } }"
    without, bad = (await _post(server, query, None)).json(), (await _post(server, query, "ak_wrong")).json()
    with_key = await acme.read_only(query)

    assert _refusal(without)[0] == _refusal(bad)[0] == "UNAUTHENTICATED"
    assert with_key["__schema"] == {"queryType": {"name": "Query"}}


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[Autocharge]:
    async with running(settings_for(database_url, api_rate_limit="3/minute")) as app:
        yield app


async def test_over_its_rate_a_key_gets_429_and_another_key_does_not(limited: Autocharge) -> None:
    acme = await tenant_access(limited, "Acme Fleet")
    query = "{ me { role } }"
    statuses = [(await _post(limited, query, acme.read_only.key)).status_code for _ in range(3)]

    refused = await _post(limited, query, acme.read_only.key)
    export = await http_get(limited, "/exports/users.csv", acme.read_only.key)
    other = await _post(limited, query, acme.admin.key)
    metrics = (await http_get(limited, "/metrics")).text

    assert statuses == [200] * 3
    assert (refused.status_code, _refusal(refused.json())[0]) == (429, "RATE_LIMITED")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (export.status_code, export.json()["error"]["code"]) == (429, "RATE_LIMITED")
    assert (other.status_code, other.json()["data"]) == (200, {"me": {"role": "ADMIN"}})
    assert 'api_limit_refusals_total{limit="rate"} 2.0' in metrics  # the GraphQL request and the export
