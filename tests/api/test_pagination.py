"""Cursor connections: first/after, bounds, and a constant number of repository calls per page."""

from __future__ import annotations

from tests.api import factories
from tests.api.fakes_api import ApiUnitOfWork
from tests.api.harness import Api

USERS = "query($first: Int, $after: String) { users(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { email } } } }"  # noqa: E501


async def test_walk_pages_with_cursors(api: Api) -> None:
    for n in range(5):
        await factories.user(api, f"u{n}@example.com")
    seen, after = [], None
    while True:
        page = (await api.data(USERS, {"first": 2, "after": after}))["users"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["email"] for edge in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"u{n}@example.com" for n in range(5)]


async def test_first_over_500_and_foreign_cursors_are_validation(api: Api) -> None:
    assert (await api.error(USERS, {"first": 501}))["extensions"]["code"] == "VALIDATION"
    assert (await api.error(USERS, {"first": -1}))["extensions"]["code"] == "VALIDATION"
    assert (await api.error(USERS, {"after": "%%%"}))["extensions"]["code"] == "VALIDATION"
    assert (await api.data(USERS, {"first": 500}))["users"]["totalCount"] == 0


async def test_a_page_of_vehicles_costs_the_same_whatever_its_size(api: Api) -> None:
    query = """query($first: Int) { vehicles(first: $first) { edges { node {
        licensePlate transactionCount user { email rfidTags } activeIdentifier { value } } } } }"""

    async def cost(first: int) -> int:
        before = ApiUnitOfWork.opened
        page = (await api.data(query, {"first": first}))["vehicles"]
        assert len(page["edges"]) == first
        return ApiUnitOfWork.opened - before

    for n in range(30):
        owner = await factories.user(api, f"u{n}@example.com")
        await factories.vehicle(api, owner, f"PLATE{n}")
    # One page read, then one batch per loader: users, rfid tags, active identifiers, counts.
    assert await cost(3) == await cost(30) == 5
