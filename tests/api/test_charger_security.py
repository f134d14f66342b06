"""Charger.securityProfile and setChargerSecurityProfile through GraphQL."""

from __future__ import annotations

import pytest

from tests.api import factories
from tests.api.harness import ADMIN_B, READER_A, Api

REGISTER = """mutation($c: String!, $p: String) {
    registerCharger(input: {chargePointId: $c, name: "Depot", password: $p}) { securityProfile } }"""
SET = "mutation($c: ID!, $p: Int!) { setChargerSecurityProfile(chargerId: $c, profile: $p) { id securityProfile } }"


async def test_registered_chargers_start_at_profile_1_with_a_password_and_0_without(api: Api) -> None:
    with_password = await api.data(REGISTER, {"c": "CP-1", "p": "s3cret-password"})
    without = await api.data(REGISTER, {"c": "CP-2", "p": None})

    assert with_password["registerCharger"]["securityProfile"] == 1
    assert without["registerCharger"]["securityProfile"] == 0


async def test_an_admin_sets_the_profile_and_the_charger_shows_it(api: Api) -> None:
    charger = await factories.charger(api)

    answer = await api.data(SET, {"c": str(charger.id), "p": 3})
    listed = await api.data("{ chargers { edges { node { securityProfile } } } }")

    assert answer["setChargerSecurityProfile"] == {"id": str(charger.id), "securityProfile": 3}
    assert listed["chargers"]["edges"][0]["node"]["securityProfile"] == 3


@pytest.mark.parametrize("profile", [-1, 4])
async def test_a_profile_outside_0_to_3_is_a_validation_error(api: Api, profile: int) -> None:
    charger = await factories.charger(api)

    assert (await api.error(SET, {"c": str(charger.id), "p": profile}))["extensions"]["code"] == "VALIDATION"


async def test_a_read_only_key_may_not_set_a_profile(api: Api) -> None:
    charger = await factories.charger(api)

    assert (await api.error(SET, {"c": str(charger.id), "p": 2}, key=READER_A))["extensions"]["code"] == "FORBIDDEN"


async def test_another_tenants_charger_is_not_found(api: Api) -> None:
    charger = await factories.charger(api)

    assert (await api.error(SET, {"c": str(charger.id), "p": 2}, key=ADMIN_B))["extensions"]["code"] == "NOT_FOUND"
