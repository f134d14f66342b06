"""Concurrent use over real sockets: a token charging on one charger is ConcurrentTx on another, on 1.6 and 2.0.1."""

from __future__ import annotations

import pytest
import structlog

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess
from tests.e2e.presented_tokens import card, presenting, vehicle_token

MAC = "0A1B2C3D4E5F"
VERSIONS = ["1.6", "2.0.1"]
TOKENS = {"vehicle": vehicle_token(MAC), "rfid": card("CARD-0042")}


async def known_tokens(tenant: TenantAccess) -> tuple[str, str]:
    """A driver with the card CARD-0042 and a vehicle of the MAC: (user id, vehicle id)."""
    user = await tenant.admin.create_user("dana@acme.example", rfid="CARD-0042")
    vehicle = await tenant.admin.add_vehicle(user, "AB-123-CD")
    await tenant.admin.add_identifier(vehicle, MAC)
    return user, vehicle


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", TOKENS)
async def test_a_token_charging_on_one_charger_is_concurrent_on_another_logged_and_starts_nothing_for_it(
    server: Autocharge, acme: TenantAccess, version: str, kind: str
) -> None:
    token = TOKENS[kind]
    user, vehicle = await known_tokens(acme)
    depot = await acme.admin.register_charger("CP-DEPOT")
    await acme.admin.register_charger("CP-STREET")

    with structlog.testing.capture_logs() as logged:
        async with (
            presenting(server, "CP-DEPOT", version) as at_depot,
            presenting(server, "CP-STREET", version) as at_street,
        ):
            started, depot_tx = await at_depot.start(token)
            authorized_elsewhere = await at_street.authorize(token)
            started_elsewhere, _ = await at_street.start(token)

    assert (started, authorized_elsewhere, started_elsewhere) == ("Accepted", "ConcurrentTx", "ConcurrentTx")
    warnings = [entry for entry in logged if entry["event"] == "token in use on another charger"]
    assert [(w["action"], w["charge_point_id"], w["in_use_on_charger_id"]) for w in warnings] == [
        ("Authorize", "CP-STREET", depot),
        ("StartTransaction" if version == "1.6" else "TransactionEvent", "CP-STREET", depot),
    ]
    assert {w["id_tag"] for w in warnings} == {f"VID:{MAC}" if kind == "vehicle" else "CARD-0042"}
    # The refused start is on record at its charger (it may have delivered energy), but is nobody's session.
    sessions = {tx["charger"]["chargePointId"]: tx for tx in await acme.admin.transactions()}
    assert (sessions["CP-DEPOT"]["user"], sessions["CP-DEPOT"]["ocppTransactionId"]) == ({"id": user}, depot_tx)
    assert (sessions["CP-STREET"]["user"], sessions["CP-STREET"]["vehicle"]) == (None, None)
    assert [tx["charger"]["chargePointId"] for tx in await acme.admin.transactions(vehicleId=vehicle)] == ["CP-DEPOT"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", TOKENS)
async def test_the_same_start_retried_on_the_same_connector_is_not_concurrent(
    server: Autocharge, acme: TenantAccess, version: str, kind: str
) -> None:
    token = TOKENS[kind]
    await known_tokens(acme)
    await acme.admin.register_charger("CP-DEPOT")

    async with presenting(server, "CP-DEPOT", version) as station:
        first = await station.start(token)
        retried = await station.start(token)
        tapped_to_stop = await station.authorize(token)

    assert (first, retried, tapped_to_stop) == (("Accepted", first[1]), ("Accepted", first[1]), "Accepted")
    assert len(await acme.admin.transactions()) == 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kind", TOKENS)
async def test_once_its_session_has_ended_the_token_is_accepted_on_another_charger(
    server: Autocharge, acme: TenantAccess, version: str, kind: str
) -> None:
    token = TOKENS[kind]
    await known_tokens(acme)
    await acme.admin.register_charger("CP-DEPOT")
    await acme.admin.register_charger("CP-STREET")

    async with (
        presenting(server, "CP-DEPOT", version) as at_depot,
        presenting(server, "CP-STREET", version) as at_street,
    ):
        _, depot_tx = await at_depot.start(token)
        during = await at_street.authorize(token)
        await at_depot.stop(depot_tx)
        after = await at_street.authorize(token)

    assert (during, after) == ("ConcurrentTx", "Accepted")
