"""Station operations: commands sent to a charger wherever it is connected, answered with its status."""

from __future__ import annotations

import enum

import strawberry

from api.chargers.types import Charger
from api.context import Info
from api.fields import mutation
from domain.charger_commands import (
    ChangeAvailability,
    CommandAnswer,
    ReadSettings,
    Reset,
    Trigger,
    TriggerableMessage,
    Unlock,
    WriteSetting,
)
from domain.commands import OperateCharger, SendFullLocalList, SetAutochargeEnabled
from domain.ids import parse_id
from domain.services import station_operations as ops

strawberry.enum(TriggerableMessage)

_SENT = "FORBIDDEN for READ_ONLY; UNAVAILABLE when the charger is not connected or does not answer in time"


@strawberry.enum
class ResetKind(enum.Enum):
    SOFT = "SOFT"  # 1.6 Reset Soft; 2.0.1 Reset OnIdle
    HARD = "HARD"  # 1.6 Reset Hard; 2.0.1 Reset Immediate


@strawberry.enum
class Availability(enum.Enum):
    OPERATIVE = "OPERATIVE"
    INOPERATIVE = "INOPERATIVE"


@strawberry.type(name="CommandResult")
class CommandResult:
    status: str = strawberry.field(description="the status the charger sent, as sent")
    accepted: bool = strawberry.field(description="Accepted, Scheduled, RebootRequired or Unlocked")

    @classmethod
    def of(cls, answer: CommandAnswer) -> CommandResult:
        return cls(status=answer.status, accepted=answer.accepted)


@strawberry.type
class OperationMutations:
    @mutation(description=f"1.6 Reset Soft/Hard; 2.0.1 Reset OnIdle/Immediate. {_SENT}")
    async def reset_charger(
        self, info: Info, charger_id: strawberry.ID, kind: ResetKind = ResetKind.SOFT
    ) -> CommandResult:
        ctx = info.context
        reset = Reset(hard=kind is ResetKind.HARD)
        answer = await ops.reset(ctx.uow(), ctx.deps.commands, OperateCharger(parse_id(charger_id, "chargerId"), reset))
        return CommandResult.of(answer)

    @mutation(description=f"UnlockConnector (2.0.1: evseId = connectorId, connector 1). {_SENT}")
    async def unlock_connector(self, info: Info, charger_id: strawberry.ID, connector_id: int) -> CommandResult:
        ctx = info.context
        unlock = OperateCharger(parse_id(charger_id, "chargerId"), Unlock(connector_id))
        answer = await ops.unlock_connector(ctx.uow(), ctx.deps.commands, unlock)
        return CommandResult.of(answer)

    @mutation(description=f"ChangeAvailability; connectorId 0 is the whole charger. {_SENT}")
    async def change_availability(
        self, info: Info, charger_id: strawberry.ID, availability: Availability, connector_id: int = 0
    ) -> CommandResult:
        ctx = info.context
        change = ChangeAvailability(operative=availability is Availability.OPERATIVE, connector_id=connector_id)
        cmd = OperateCharger(parse_id(charger_id, "chargerId"), change)
        return CommandResult.of(await ops.change_availability(ctx.uow(), ctx.deps.commands, cmd))

    @mutation(description=f"TriggerMessage. {_SENT}")
    async def trigger_message(
        self, info: Info, charger_id: strawberry.ID, message: TriggerableMessage, connector_id: int | None = None
    ) -> CommandResult:
        ctx = info.context
        cmd = OperateCharger(parse_id(charger_id, "chargerId"), Trigger(message, connector_id))
        return CommandResult.of(await ops.trigger_message(ctx.uow(), ctx.deps.commands, cmd))

    @mutation(
        description="GetConfiguration / GetBaseReport FullInventory and every NotifyReport part that follows; "
        f"returns once all values are stored. {_SENT}"
    )
    async def refresh_charger_settings(self, info: Info, charger_id: strawberry.ID) -> Charger:
        ctx = info.context
        cmd = OperateCharger(parse_id(charger_id, "chargerId"), ReadSettings())
        charger = await ops.refresh_settings(ctx.uow(), ctx.deps.commands, cmd, ctx.deps.clock)
        return Charger.from_entity(charger)

    @mutation(
        description="ChangeConfiguration / SetVariables; the stored value changes only when the charger accepts. "
        f"VALIDATION for a key the charger has not reported, or reported read-only. {_SENT}"
    )
    async def change_charger_setting(
        self, info: Info, charger_id: strawberry.ID, key: str, value: str
    ) -> CommandResult:
        ctx = info.context
        cmd = OperateCharger(parse_id(charger_id, "chargerId"), WriteSetting(key, value))
        return CommandResult.of(await ops.change_setting(ctx.uow(), ctx.deps.commands, cmd, ctx.deps.clock))

    @mutation(description=f"Writes the charger's Autocharge switch; VALIDATION when none is known. {_SENT}")
    async def set_autocharge_enabled(self, info: Info, charger_id: strawberry.ID, enabled: bool) -> CommandResult:
        ctx = info.context
        cmd = SetAutochargeEnabled(parse_id(charger_id, "chargerId"), enabled)
        return CommandResult.of(await ops.set_autocharge_enabled(ctx.uow(), ctx.deps.commands, cmd, ctx.deps.clock))

    @mutation(
        description="SendLocalList Full: every ACTIVE vehicle identifier and RFID tag of the tenant; "
        f"versionNumber = localListVersion + 1. {_SENT}"
    )
    async def send_local_list(self, info: Info, charger_id: strawberry.ID) -> CommandResult:
        ctx = info.context
        cmd = SendFullLocalList(parse_id(charger_id, "chargerId"))
        answer = await ops.send_local_list(ctx.uow(), ctx.deps.commands, cmd)
        return CommandResult.of(answer)
