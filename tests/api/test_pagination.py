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


async def test_a_vehicles_sessions_with_their_chargers_cost_the_same_whatever_their_number(api: Api) -> None:
    query = """query($v: ID!, $first: Int) { vehicle(id: $v) { transactions(first: $first) { totalCount
        pageInfo { hasNextPage } edges { node { charger { chargePointId } } } } } }"""
    car = await factories.vehicle(api, await factories.user(api))
    chargers = [await factories.charger(api, f"CP-{n}") for n in range(3)]
    for n in range(12):
        await factories.transaction(api, chargers[n % 3], car, minutes=n)
    newest_first = [f"CP-{n % 3}" for n in reversed(range(12))]

    async def cost(first: int) -> int:
        before = ApiUnitOfWork.opened
        page = (await api.data(query, {"v": str(car.id), "first": first}))["vehicle"]["transactions"]
        assert page["totalCount"] == 12 and page["pageInfo"]["hasNextPage"] == (first < 12)
        assert [edge["node"]["charger"]["chargePointId"] for edge in page["edges"]] == newest_first[:first]
        return ApiUnitOfWork.opened - before

    # The vehicle, then its page with the page's chargers in the same unit of work: no charger batch of its own.
    assert await cost(2) == await cost(12) == await cost(50) == 2
