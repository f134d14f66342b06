"""ChargerCommands for a cluster: a command goes to whichever process holds the charger's connection."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from domain.charger_commands import ChargerCommand, CommandAnswer, from_wire, to_wire
from domain.errors import Invalid, NotFound, Unavailable
from domain.model import Charger
from domain.ports import UnitOfWorkFactory
from infra.cluster.ports import CommandChannel, Presence

# A request to run a charger command (domain.charger_commands, as to_wire spells it) on the holder.
COMMAND_OP = "charger_command"


class LocalChargers(Protocol):
    """This process's live connections (the OCPP server's registry), as far as the cluster needs them."""

    def is_connected(self, charge_point_id: str) -> bool: ...
    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer: ...
    async def hand_over(self, charge_point_id: str, reason: str) -> bool:
        """Close the connection here, leaving the charger's recorded state to its connection elsewhere."""
        ...

    async def resume(self, charge_point_id: str) -> None:
        """Record the charger's connection here as current again if another process ended it meanwhile."""
        ...


class RoutedChargerCommands:
    """domain.ports.ChargerCommands: here if the charger is connected here, else through the holder's channel."""

    def __init__(
        self,
        node_id: str,
        local: LocalChargers,
        presence: Presence,
        channel: CommandChannel,
        uow: UnitOfWorkFactory,
        *,
        timeout: float,
    ) -> None:
        self._node_id = node_id
        self._local = local
        self._presence = presence
        self._channel = channel
        self._uow = uow
        self._timeout = timeout

    async def send(self, charger: Charger, command: ChargerCommand) -> CommandAnswer:
        if self._local.is_connected(charger.charge_point_id):
            return await self._local.send(charger, command)
        cpid = charger.charge_point_id
        holder = await self._presence.holder(cpid)
        if holder is None or holder == self._node_id:  # ours but not here: a lease about to lapse
            raise Unavailable(f"charger {cpid} is not connected")
        payload = {
            "op": COMMAND_OP,
            "tenant_id": str(charger.tenant_id),
            "charger_id": str(charger.id),
            "charge_point_id": cpid,
            **to_wire(command),
        }
        try:
            reply = await self._channel.request(holder, payload, self._timeout)
        except TimeoutError:
            raise Unavailable(
                f"charger {cpid}: the process holding it (node {holder}) is unreachable: no reply in {self._timeout:g}s"
            ) from None
        return CommandAnswer.from_wire(reply)

    async def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The holder's side of send: run the command on the charger connected here."""
        if payload.get("op") != COMMAND_OP:
            raise Invalid(f"unknown request {payload.get('op')!r}")
        try:
            command = from_wire(payload)
        except (KeyError, TypeError, ValueError):
            raise Invalid(f"unknown charger command {payload.get('command')!r}") from None
        charger = await self._charger(UUID(payload["tenant_id"]), UUID(payload["charger_id"]))
        return (await self._local.send(charger, command)).to_wire()

    async def _charger(self, tenant_id: UUID, charger_id: UUID) -> Charger:
        async with self._uow(tenant_id) as uow:
            charger = await uow.chargers.get(charger_id)
        if charger is None:
            raise NotFound(f"charger {charger_id} not found")
        return charger
