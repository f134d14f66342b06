"""This process as one node of a cluster: it claims the chargers connected here and serves commands sent to them."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

import structlog

from domain.ports import UnitOfWorkFactory
from infra.cluster.ports import CommandChannel, Presence
from infra.cluster.routing import LocalChargers, RoutedChargerCommands

logger = structlog.get_logger(__name__)

HANDED_OVER = "connected to another node"


class PresenceBackend(Presence, Protocol):
    async def close(self) -> None: ...


class CommandChannelBackend(CommandChannel, Protocol):
    async def close(self) -> None: ...


class ClusterNode:
    """Keeps one lease per charger connected here, refreshed while it stays; a charger claimed by another node
    is closed here. `commands` is the ChargerCommands the domain is given.

    claim() and release() are the OCPP registry's connect and disconnect hooks: the registry calls them under
    the charger's lock, so one charger's claims and releases on this node never overtake each other.
    """

    def __init__(
        self,
        node_id: str,
        local: LocalChargers,
        presence: PresenceBackend,
        channel: CommandChannelBackend,
        uow: UnitOfWorkFactory,
        *,
        lease_seconds: float = 30,
        refresh_seconds: float = 10,
        command_timeout: float = 35,
    ) -> None:
        self.node_id = node_id
        self._local = local
        self._presence = presence
        self._channel = channel
        self._lease = lease_seconds
        self._refresh_interval = refresh_seconds
        self._timeout = command_timeout
        self.commands = RoutedChargerCommands(node_id, local, presence, channel, uow, timeout=command_timeout)
        self._held: set[str] = set()  # chargers connected here, whose lease this node keeps
        self._refresher: asyncio.Task[None] | None = None
        self._chores: set[asyncio.Task[None]] = set()
        self._stopped = False
        self._log = logger.bind(node=node_id)

    async def start(self) -> None:
        await self._channel.serve(self.node_id, self._handle)
        self._refresher = asyncio.create_task(self._refresh_forever(), name="presence-refresh")

    async def stop(self) -> None:
        """Stop refreshing and serving; end the leases still held (none once the OCPP server has stopped)."""
        if self._stopped:
            return
        self._stopped = True
        tasks = [*self._chores, *([self._refresher] if self._refresher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._refresher = None
        for charge_point_id in sorted(self._held):
            await self.release(charge_point_id)
        await self._channel.close()
        await self._presence.close()

    async def is_live(self, charge_point_id: str) -> bool:
        """Whether some node of the cluster holds the charger (Unavailable when Redis cannot tell)."""
        return self._local.is_connected(charge_point_id) or await self._presence.holder(charge_point_id) is not None

    # --- the registry's hooks ---

    async def claim(self, charge_point_id: str) -> None:
        """The charger connected here: take its lease and tell the node it was on, if any, to let it go."""
        try:
            previous = await self._presence.claim(charge_point_id, self.node_id, self._lease)
        finally:
            # Held from now on, even if Redis failed: the next refresh claims it again. Not before the claim,
            # or a refresh in between would find the previous node's lease and close this new connection.
            self._held.add(charge_point_id)
        if previous is not None and previous != self.node_id:
            self._log.info("charger moved here from another node", charge_point_id=charge_point_id, previous=previous)
            self._spawn(self._tell_to_let_go(previous, charge_point_id))

    async def release(self, charge_point_id: str) -> None:
        """The charger's connection here ended: end its lease, unless another node has taken it since."""
        self._held.discard(charge_point_id)
        try:
            await self._presence.release(charge_point_id, self.node_id)
        except Exception as error:  # the lease lapses by itself
            self._log.warning("could not release a charger", charge_point_id=charge_point_id, error=repr(error))

    # --- leases ---

    async def refresh(self) -> None:
        """One pass over the chargers held here: extend each lease, or re-take a lapsed one, or let go of a
        charger another node has claimed (it should have told us; this is the safety net)."""
        for charge_point_id in sorted(self._held):
            try:
                await self._refresh_one(charge_point_id)
            except Exception as error:
                self._log.warning("could not refresh a charger", charge_point_id=charge_point_id, error=repr(error))

    async def _refresh_one(self, charge_point_id: str) -> None:
        if await self._presence.refresh(charge_point_id, self.node_id, self._lease):
            return
        holder = await self._presence.holder(charge_point_id)
        if charge_point_id not in self._held:
            return  # it left meanwhile
        if holder is None:
            # The lease lapsed (this node could not reach Redis for longer than the TTL), so another node may
            # have ended the connection as orphaned: record it again first. Only then claim, so that a failure
            # here leaves the lease to be taken again, and this step retried, by the next refresh; the fresh
            # last-seen time keeps the other nodes' sweeps off it meanwhile.
            await self._local.resume(charge_point_id)
            await self.claim(charge_point_id)
        elif holder != self.node_id:
            self._log.info("charger claimed by another node", charge_point_id=charge_point_id, holder=holder)
            self._held.discard(charge_point_id)
            await self._local.hand_over(charge_point_id, HANDED_OVER)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_interval)
            await self.refresh()

    # --- commands between nodes ---

    async def _handle(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("op") == "hand_over":
            return {"closed": await self._let_go(str(payload["charge_point_id"]))}
        return await self.commands.execute(payload)

    async def _let_go(self, charge_point_id: str) -> bool:
        if await self._presence.holder(charge_point_id) == self.node_id:
            return False  # the charger came back here since: the connection here is its current one
        self._held.discard(charge_point_id)
        return await self._local.hand_over(charge_point_id, HANDED_OVER)

    async def _tell_to_let_go(self, node_id: str, charge_point_id: str) -> None:
        try:
            await self._channel.request(node_id, {"op": "hand_over", "charge_point_id": charge_point_id}, self._timeout)
        except Exception as error:  # e.g. that node is gone, and its connection with it
            self._log.info("previous node did not let go", charge_point_id=charge_point_id, error=repr(error))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        # Not awaited by the hook: a slow or dead previous node must not hold up the charger's connection.
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)
