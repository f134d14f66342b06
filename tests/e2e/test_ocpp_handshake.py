"""The opening handshake: unknown chargers and wrong passwords are refused before any OCPP frame."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger, raw_connection

PASSWORD = "correct-horse-battery"


async def refusal(server: Autocharge, cpid: str, password: str | None = None) -> int:
    """The HTTP status the handshake is refused with."""
    with pytest.raises(InvalidStatus) as refused:
        async with raw_connection(server, cpid, password=password):
            pass
    return refused.value.response.status_code


async def test_an_unknown_charge_point_id_is_refused_with_404(server: Autocharge, acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")

    assert await refusal(server, "CP-UNKNOWN") == 404


async def test_a_charger_registered_with_a_password_is_refused_with_401_without_one(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1", password=PASSWORD)

    assert await refusal(server, "CP-1") == 401


async def test_a_charger_registered_with_a_password_is_refused_with_401_with_a_wrong_one(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1", password=PASSWORD)

    assert await refusal(server, "CP-1", password="not-the-password") == 401


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_charger_with_the_right_password_is_accepted_and_boots(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1", password=PASSWORD)

    async with charger(server, "CP-1", version, password=PASSWORD) as station:
        assert await station.boot() == "Accepted"
