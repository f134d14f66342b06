from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import mutation
from api.pairing.types import PairingSession
from domain.commands import CancelPairing, StartPairing
from domain.ids import parse_id
from domain.services import pairing


@strawberry.type
class PairingMutations:
    @mutation(description="Plug the vehicle into the charger within timeoutSeconds (5 to 3600)")
    async def start_vehicle_pairing(
        self, info: Info, vehicle_id: strawberry.ID, charger_id: strawberry.ID, timeout_seconds: int = 300
    ) -> PairingSession:
        ctx = info.context
        cmd = StartPairing(parse_id(vehicle_id, "vehicleId"), parse_id(charger_id, "chargerId"), timeout_seconds)
        return PairingSession.from_entity(await pairing.start_pairing(ctx.uow(), cmd, ctx.deps.clock))

    @mutation()
    async def cancel_vehicle_pairing(self, info: Info, session_id: strawberry.ID) -> PairingSession:
        ctx = info.context
        cmd = CancelPairing(parse_id(session_id, "sessionId"))
        return PairingSession.from_entity(await pairing.cancel_pairing(ctx.uow(), cmd, ctx.deps.clock))
