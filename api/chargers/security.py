"""setChargerSecurityProfile: the lowest OCPP security profile a charger may connect with."""

from __future__ import annotations

import strawberry

from api.chargers.types import Charger
from api.context import Info
from api.fields import mutation
from domain.commands import SetChargerSecurityProfile
from domain.ids import parse_id
from domain.services.charger_security import set_security_profile


@strawberry.type
class ChargerSecurityMutations:
    @mutation(description="0 to 3; takes effect at the charger's next connection")
    async def set_charger_security_profile(self, info: Info, charger_id: strawberry.ID, profile: int) -> Charger:
        cmd = SetChargerSecurityProfile(parse_id(charger_id, "chargerId"), profile)
        return Charger.from_entity(await set_security_profile(info.context.uow(), cmd))
