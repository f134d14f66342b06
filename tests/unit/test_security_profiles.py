"""OCPP security profiles: which connections meet a charger's profile, and how a charger gets its profile."""

from __future__ import annotations

import pytest

from domain.commands import RegisterCharger, SetChargerSecurityProfile
from domain.errors import Invalid, NotFound
from domain.events import ChargerStatusChanged
from domain.ids import new_id
from domain.queries import ChargerLogin
from domain.security_profiles import Shortfall, Transport, password_required, shortfall
from domain.services import chargers
from domain.services.charger_security import set_security_profile
from tests.unit.conftest import World

PLAIN = Transport()
TLS = Transport(tls=True)


def login(profile: int, password: bool = True) -> ChargerLogin:
    return ChargerLogin(new_id(), new_id(), "CP-1", "scrypt$hash" if password else None, profile)


@pytest.mark.parametrize("profile", [0, 1])
def test_profiles_0_and_1_are_met_over_plain_ws_and_over_tls(profile: int) -> None:
    assert shortfall(login(profile), PLAIN) is None
    assert shortfall(login(profile), TLS) is None


def test_profile_2_needs_tls() -> None:
    assert shortfall(login(2), PLAIN) is Shortfall.NO_TLS
    assert shortfall(login(2), TLS) is None


def test_profile_3_needs_tls_and_a_certificate_naming_the_charger() -> None:
    assert shortfall(login(3), PLAIN) is Shortfall.NO_TLS
    assert shortfall(login(3), TLS) is Shortfall.NO_CLIENT_CERTIFICATE
    assert shortfall(login(3), Transport(tls=True, certificate_cn="CP-2")) is Shortfall.CERTIFICATE_OF_ANOTHER_CHARGER
    assert shortfall(login(3), Transport(tls=True, certificate_cn="CP-1")) is None


def test_a_password_is_required_on_profiles_1_and_2_even_without_one_set_and_never_on_3() -> None:
    assert not password_required(login(0, password=False))
    assert password_required(login(0, password=True))
    assert password_required(login(1, password=False))
    assert password_required(login(2, password=True))
    assert not password_required(login(3, password=True))


async def test_a_charger_registered_with_a_password_starts_at_profile_1_without_at_0(world: World) -> None:
    with_password = await chargers.register_charger(world.uow(), RegisterCharger("CP-1", "A", password="s3cret-pass"))
    without = await chargers.register_charger(world.uow(), RegisterCharger("CP-2", "B"))

    assert with_password.security_profile == 1
    assert without.security_profile == 0


async def test_setting_a_profile_stores_it_and_tells_subscribers(world: World) -> None:
    charger = await world.charger(connected=False)

    updated = await set_security_profile(world.uow(), SetChargerSecurityProfile(charger.id, 3))

    assert updated.security_profile == 3
    assert (await world.uow().chargers.get(charger.id)).security_profile == 3
    assert any(isinstance(event, ChargerStatusChanged) for event in world.store.published)


@pytest.mark.parametrize("profile", [-1, 4])
async def test_a_profile_outside_0_to_3_is_invalid(world: World, profile: int) -> None:
    charger = await world.charger(connected=False)

    with pytest.raises(Invalid, match="0 to 3"):
        await set_security_profile(world.uow(), SetChargerSecurityProfile(charger.id, profile))


async def test_a_charger_of_another_tenant_is_not_found(world: World) -> None:
    charger = await world.charger(connected=False, tenant=world.tenant_b)

    with pytest.raises(NotFound):
        await set_security_profile(world.uow(), SetChargerSecurityProfile(charger.id, 2))
