"""The API's limits over real sockets: depth, cost, aliases, document size, introspection, rate per key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from api.limits import QueryLimits
from tests.api.harness import ADMIN_A, ADMIN_B, MAX_DEPTH, Api
from tests.api.wsclient import authorised_ws
from tests.graphql_documents import nested_query

ServeApi = Callable[..., AbstractAsyncContextManager[Api]]
ME = "{ me { role } }"
# 1 (chargers) + 50 items x 3 (edges, node, id): `first` defaults to 50 when the query leaves it out.
CHARGERS_DEFAULT_PAGE = "{ chargers { edges { node { id } } } }"
NESTED = "query($v: Int!, $t: Int!) { vehicles(first: $v) { edges { node { transactions(first: $t) { edges { node { id } } } } } } }"  # noqa: E501


@pytest.fixture
async def small(serve_api: ServeApi) -> AsyncIterator[Api]:
    """An API whose limits are small enough to reach with hand-written queries."""
    limits = QueryLimits(max_cost=150, max_aliases=5, max_document_bytes=2048)
    async with serve_api(limits=limits, rate_limit=None) as api:
        yield api


def _refusal(body: dict[str, Any]) -> tuple[str, str]:
    assert body.get("data") is None, body
    [error] = body["errors"]
    return error["extensions"]["code"], error["message"]


# --- depth ---


async def test_a_query_as_deep_as_the_limit_runs_and_one_level_more_is_refused(api: Api) -> None:
    assert "vehicles" in await api.data(nested_query(MAX_DEPTH))

    assert _refusal(await api.gql(nested_query(MAX_DEPTH + 1))) == (
        "VALIDATION",
        f"'anonymous' exceeds maximum operation depth of {MAX_DEPTH}",
    )


# --- cost ---


async def test_a_connection_without_first_costs_its_default_page(small: Api) -> None:
    assert _refusal(await small.gql(CHARGERS_DEFAULT_PAGE))[1].startswith("query cost 151 exceeds the maximum of 150")
    assert (await small.data("{ chargers(first: 49) { edges { node { id } } } }"))["chargers"] == {"edges": []}


async def test_each_aliased_field_counts(small: Api) -> None:
    page = "chargers(first: 10) { edges { node { id } } }"  # 31 each

    four = await small.gql("{ " + " ".join(f"a{i}: {page}" for i in range(4)) + " }")
    five = await small.gql("{ " + " ".join(f"a{i}: {page}" for i in range(5)) + " }")

    assert "errors" not in four
    assert _refusal(five)[0] == "VALIDATION"
    assert _refusal(five)[1].startswith("query cost 155 exceeds the maximum of 150")


async def test_nested_firsts_multiply_with_the_request_s_variables(small: Api) -> None:
    # 1 + 5 vehicles x (edges, node, transactions + 9 x (edges, node, id)) = 1 + 5 x 30 = 151
    refused = await small.gql(NESTED, {"v": 5, "t": 9})
    allowed = await small.gql(NESTED, {"v": 5, "t": 8})  # 1 + 5 x 27 = 136

    assert _refusal(refused) == (
        "VALIDATION",
        "query cost 151 exceeds the maximum of 150 (each field counts once per item it can appear in;"
        " first/last multiply what is below them: ask for fewer items or fields)",
    )
    assert refused["errors"][0]["extensions"]["limit"] == "cost"
    assert "errors" not in allowed


async def test_fragments_and_variable_defaults_are_counted_where_they_are_used(small: Api) -> None:
    query = (
        "query($t: Int! = 9) { vehicles(first: 5) { ...Page } }"
        " fragment Page on VehicleConnection { edges { node { ...Sessions } } }"
        " fragment Sessions on Vehicle { transactions(first: $t) { edges { node { id } } } }"
    )

    assert _refusal(await small.gql(query))[1].startswith("query cost 151 exceeds")
    assert "errors" not in await small.gql(query, {"t": 8})


async def test_more_aliases_than_allowed_are_refused_before_the_cost(small: Api) -> None:
    six = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(6)) + " }"

    assert _refusal(await small.gql(six)) == ("VALIDATION", "6 aliases found. Allowed: 5")


# --- document size ---


async def test_a_document_larger_than_the_limit_is_refused_before_parsing(small: Api) -> None:
    def padded(size: int, text: str = ME) -> str:
        # "é" is two bytes: the limit is on bytes, not characters.
        filler = "é" * ((size - len(text.encode()) - 2) // 2)
        document = f"{text} #{filler}"
        return document + " " * (size - len(document.encode()))

    assert "errors" not in await small.gql(padded(2048))
    assert _refusal(await small.gql(padded(2049))) == (
        "VALIDATION",
        "document size 2049 bytes exceeds the maximum of 2048 bytes",
    )
    # Not even parsed: a broken document that large gets the size refusal, not a syntax error.
    assert _refusal(await small.gql(padded(4000, "{ me { ")))[1].startswith("document size 4000 bytes")


async def test_a_named_operation_too_large_is_refused_the_same_way(small: Api) -> None:
    document = "query Mine { me { role } } " + " " * 3000
    response = await small.http.post(
        "/graphql",
        json={"query": document, "operationName": "Mine"},
        headers={"Authorization": f"Bearer {ADMIN_A}"},
    )

    assert response.status_code == 200
    assert _refusal(response.json()) == ("VALIDATION", "document size 3027 bytes exceeds the maximum of 2048 bytes")


async def test_a_document_too_large_is_refused_over_websockets_too(small: Api) -> None:
    async with authorised_ws(small.ws_url, ADMIN_A) as ws:
        await ws.subscribe(ME + " " * 3000)
        message = await ws.receive()

    assert message["type"] == "error", message
    assert message["payload"][0]["message"] == "document size 3015 bytes exceeds the maximum of 2048 bytes"
    assert message["payload"][0]["extensions"]["code"] == "VALIDATION"


# --- introspection ---

SCHEMA = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("key", [None, "ak_nonsense"])
async def test_introspection_without_a_valid_key_is_unauthenticated(api: Api, key: str | None) -> None:
    hidden = "{ ...Root } fragment Root on Query { __schema { types { name } } }"
    answers = [
        _refusal(await api.gql(query, key=key)) for query in (SCHEMA, '{ __type(name: "User") { name } }', hidden)
    ]

    message = "introspection needs a valid API key: send 'Authorization: Bearer <key>'"
    assert answers == [("UNAUTHENTICATED", message)] * 3


async def test_introspection_with_a_key_works(api: Api) -> None:
    assert (await api.data(SCHEMA))["__schema"] == {"queryType": {"name": "Query"}}
    assert (await api.data('{ __type(name: "User") { name } }'))["__type"] == {"name": "User"}


async def test_graphiql_still_loads_in_a_browser_without_a_key(api: Api) -> None:
    page = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


# --- rate ---


@pytest.fixture
async def three_a_minute(serve_api: ServeApi) -> AsyncIterator[Api]:
    async with serve_api(rate_limit="3/minute") as api:
        yield api


async def test_over_the_rate_a_key_gets_429_rate_limited_and_retry_after(three_a_minute: Api) -> None:
    api = three_a_minute
    headers = {"Authorization": f"Bearer {ADMIN_A}"}
    statuses = [(await api.http.post("/graphql", json={"query": ME}, headers=headers)).status_code for _ in range(3)]

    refused = await api.http.post("/graphql", json={"query": ME}, headers=headers)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    code, message = _refusal(refused.json())
    assert code == "RATE_LIMITED"
    assert message.startswith("rate limit exceeded: at most 3/minute requests per API key")
    # Another key, and a request without any key (refused for that, not for the rate), are not affected.
    assert (await api.data(ME, key=ADMIN_B))["me"] == {"role": "ADMIN"}
    assert (await api.error(ME, key=None))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_exports_count_against_the_same_rate(three_a_minute: Api) -> None:
    api = three_a_minute
    for _ in range(3):
        await api.data(ME)

    refused = await api.http.get("/exports/users.csv", headers={"Authorization": f"Bearer {ADMIN_A}"})
    other = await api.http.get("/exports/users.csv", headers={"Authorization": f"Bearer {ADMIN_B}"})

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["Retry-After"]) >= 1
    assert other.status_code == 200


async def test_websocket_operations_count_against_their_key(three_a_minute: Api) -> None:
    api = three_a_minute
    status = "subscription { chargerStatus { id } }"
    await api.data(ME)  # HTTP and websocket share the key's count
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        await ws.subscribe(ME)
        answered = await ws.next_data()
        assert (await ws.receive())["type"] == "complete"
        await ws.subscribe(status)  # the third: allowed, and streaming (nothing happens, so nothing comes)
        await ws.subscribe(status)
        refused_subscription = await ws.receive()
        assert await ws.receive() == {"id": "3", "type": "complete"}
        await ws.subscribe(ME)
        refused_query = await ws.receive()

    assert answered == {"me": {"role": "ADMIN"}}
    for refused in (refused_subscription, refused_query):
        assert refused["type"] == "next", refused
        assert refused["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in refused["payload"]["errors"]] == ["RATE_LIMITED"]
    assert refused_subscription["id"] == "3"
