from __future__ import annotations

import strawberry

from api.chargers.types import Charger
from api.context import Info
from api.fields import mutation
from domain.commands import RegisterCharger, SetAutochargeSupported
from domain.ids import parse_id
from domain.services import chargers


@strawberry.input
class RegisterChargerInput:
    charge_point_id: str
    name: str
    password: str | None = strawberry.field(
        default=None, description="when set, the charger must send it with HTTP Basic auth (Security Profile 1)"
    )
    autocharge_supported: bool | None = False


@strawberry.type
class ChargerMutations:
    @mutation()
    async def register_charger(self, info: Info, input: RegisterChargerInput) -> Charger:
        ctx = info.context
        cmd = RegisterCharger(
            charge_point_id=input.charge_point_id,
            name=input.name,
            password=input.password,
            autocharge_supported=bool(input.autocharge_supported),
        )
        return Charger.from_entity(await chargers.register_charger(ctx.uow(), cmd, ctx.deps.clock))

    @mutation()
    async def set_autocharge_supported(self, info: Info, charger_id: strawberry.ID, supported: bool) -> Charger:
        cmd = SetAutochargeSupported(parse_id(charger_id, "chargerId"), supported)
        return Charger.from_entity(await chargers.set_autocharge_supported(info.context.uow(), cmd))
