"""ChargerCommands for a cluster: a command goes to whichever process holds the charger's connection."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from domain.errors import Invalid, NotFound, Unavailable
from domain.model import Charger
from domain.ports import CommandChannel, Presence, UnitOfWorkFactory


class LocalChargers(Protocol):
    """This process's live connections (the OCPP server's registry), as far as the cluster needs them."""

    def is_connected(self, charge_point_id: str) -> bool: ...
    async def remote_start(self, charger: Charger, connector_id: int, id_tag: str) -> bool: ...
    async def remote_stop(self, charger: Charger, ocpp_transaction_id: str) -> bool: ...
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

    async def remote_start(self, charger: Charger, connector_id: int, id_tag: str) -> bool:
        if self._local.is_connected(charger.charge_point_id):
            return await self._local.remote_start(charger, connector_id, id_tag)
        return await self._forward(charger, "remote_start", {"connector_id": connector_id, "id_tag": id_tag})

    async def remote_stop(self, charger: Charger, ocpp_transaction_id: str) -> bool:
        if self._local.is_connected(charger.charge_point_id):
            return await self._local.remote_stop(charger, ocpp_transaction_id)
        return await self._forward(charger, "remote_stop", {"ocpp_transaction_id": ocpp_transaction_id})

    async def _forward(self, charger: Charger, op: str, args: dict[str, Any]) -> bool:
        cpid = charger.charge_point_id
        holder = await self._presence.holder(cpid)
        if holder is None or holder == self._node_id:  # ours but not here: a lease about to lapse
            raise Unavailable(f"charger {cpid} is not connected")
        payload = {
            "op": op,
            "tenant_id": str(charger.tenant_id),
            "charger_id": str(charger.id),
            "charge_point_id": cpid,
            "args": args,
        }
        try:
            reply = await self._channel.request(holder, payload, self._timeout)
        except TimeoutError:
            raise Unavailable(
                f"charger {cpid}: the process holding it (node {holder}) is unreachable: no reply in {self._timeout:g}s"
            ) from None
        return bool(reply["accepted"])

    async def execute(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The holder's side of _forward: run the command on the charger connected here."""
        op, args = payload.get("op"), payload.get("args", {})
        charger = await self._charger(UUID(payload["tenant_id"]), UUID(payload["charger_id"]))
        if op == "remote_start":
            accepted = await self._local.remote_start(charger, int(args["connector_id"]), str(args["id_tag"]))
        elif op == "remote_stop":
            accepted = await self._local.remote_stop(charger, str(args["ocpp_transaction_id"]))
        else:
            raise Invalid(f"unknown charger command {op!r}")
        return {"accepted": accepted}

    async def _charger(self, tenant_id: UUID, charger_id: UUID) -> Charger:
        async with self._uow(tenant_id) as uow:
            charger = await uow.chargers.get(charger_id)
        if charger is None:
            raise NotFound(f"charger {charger_id} not found")
        return charger
