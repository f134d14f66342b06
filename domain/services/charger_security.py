"""An admin sets the OCPP security profile a charger must connect with (domain.security_profiles)."""

from __future__ import annotations

from domain.commands import SetChargerSecurityProfile
from domain.events import ChargerChange
from domain.model import Charger
from domain.ports import UnitOfWork
from domain.security_profiles import checked_profile
from domain.services._common import found
from domain.services.chargers import changed


async def set_security_profile(uow: UnitOfWork, cmd: SetChargerSecurityProfile) -> Charger:
    """Invalid unless 0 to 3. Takes effect at the charger's next connection: one already open stays open."""
    profile = checked_profile(cmd.profile)
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        if charger.security_profile != profile:
            charger.security_profile = profile
            await uow.chargers.update(charger)
            changed(uow, charger, ChargerChange.UPDATED)
            await uow.commit()
    return charger
