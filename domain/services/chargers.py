"""Chargers: registration by admins, and what the OCPP server reports about their connection and state."""

from __future__ import annotations

import re

from domain.commands import (
    EndOrphanedConnections,
    RegisterCharger,
    ReportBoot,
    ReportConnected,
    ReportConnectorStatus,
    ReportDisconnected,
    ReportSeen,
    ResumeConnection,
    SetAutochargeSupported,
)
from domain.errors import Conflict, Invalid
from domain.events import ChargerChange, ChargerStatusChanged
from domain.ids import Clock, new_id, utcnow
from domain.model import Charger, ConnectionState, Connector
from domain.ports import Liveness, UnitOfWork, UnitOfWorkFactory
from domain.queries import RecordedConnection
from domain.secrets import hash_password
from domain.security_profiles import initial_profile
from domain.services._common import found, snapshot

# The identity is the last segment of the charger's websocket URL: keep it URL-safe and OCPP-sized.
_CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9._\-:*]{1,48}$")


def changed(uow: UnitOfWork, charger: Charger, change: ChargerChange) -> None:
    uow.publish(ChargerStatusChanged(tenant_id=charger.tenant_id, change=change, charger=snapshot(charger)))


async def register_charger(uow: UnitOfWork, cmd: RegisterCharger, clock: Clock = utcnow) -> Charger:
    cpid = cmd.charge_point_id.strip()
    if not _CHARGE_POINT_ID.match(cpid):
        raise Invalid(f"chargePointId {cmd.charge_point_id!r} must be 1 to 48 letters, digits or . _ - : *")
    name = cmd.name.strip()
    if not name:
        raise Invalid("name must not be empty")
    if cmd.password is not None and not 8 <= len(cmd.password) <= 40:
        raise Invalid("a charger password has 8 to 40 characters (OCPP Security Profile 1)")
    # The same words whoever holds the id, this tenant or another: a CONFLICT tells nothing about other tenants.
    taken = Conflict(f"chargePointId {cpid} is not available: choose another")
    async with uow:
        if await uow.chargers.by_charge_point_id(cpid) is not None:
            raise taken
        charger = Charger(
            id=new_id(),
            tenant_id=uow.tenant_id,
            charge_point_id=cpid,
            name=name,
            password_hash=hash_password(cmd.password) if cmd.password else None,
            security_profile=initial_profile(cmd.password is not None),
            autocharge_supported=cmd.autocharge_supported,
            created_at=clock(),
        )
        try:
            await uow.chargers.add(charger)  # chargePointId is unique system-wide: the database says Conflict
        except Conflict:
            raise taken from None
        await uow.commit()
    return charger


async def set_autocharge_supported(uow: UnitOfWork, cmd: SetAutochargeSupported) -> Charger:
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        if charger.autocharge_supported != cmd.supported:
            charger.autocharge_supported = cmd.supported
            await uow.chargers.update(charger)
            changed(uow, charger, ChargerChange.UPDATED)
            await uow.commit()
    return charger


async def charger_connected(uow: UnitOfWork, cmd: ReportConnected, clock: Clock = utcnow) -> Charger:
    """Record a new connection; the returned charger's connection_id names it (see charger_disconnected)."""
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        charger.connection_state = ConnectionState.CONNECTED
        charger.connection_id = new_id()
        charger.ocpp_version = cmd.ocpp_version
        charger.last_seen_at = clock()
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.CONNECTED)
        await uow.commit()
    return charger


async def charger_disconnected(uow: UnitOfWork, cmd: ReportDisconnected, clock: Clock = utcnow) -> Charger:
    """Record the end of the connection `cmd.connection_id`; nothing changes if the charger has connected since,
    here or on another process, so a late disconnection never overwrites a newer connection."""
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        if charger.connection_id != cmd.connection_id:
            return charger
        charger.connection_state = ConnectionState.DISCONNECTED
        charger.connection_id = None
        charger.last_seen_at = clock()
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.DISCONNECTED)
        await uow.commit()
    return charger


async def connection_resumed(uow: UnitOfWork, cmd: ResumeConnection, clock: Clock = utcnow) -> bool:
    """Record the connection `cmd.connection_id` as current again after another process ended it as orphaned
    (its process lost Redis past the lease TTL, but the charger stayed connected). Nothing changes while any
    connection is recorded: this one, or a newer one. True when the charger became CONNECTED again."""
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        if charger.connection_id is not None:
            return False
        charger.connection_state = ConnectionState.CONNECTED
        charger.connection_id = cmd.connection_id
        charger.last_seen_at = clock()
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.CONNECTED)
        await uow.commit()
    return True


async def end_orphaned_connections(
    uow_factory: UnitOfWorkFactory, is_live: Liveness, cmd: EndOrphanedConnections, clock: Clock = utcnow
) -> list[RecordedConnection]:
    """End every recorded connection that no process serves any more (the process holding it died without
    recording the end): the charger becomes DISCONNECTED and subscribers are told. `is_live(chargePointId)`
    says whether some process still holds the charger. Fenced like charger_disconnected: a charger that has
    reconnected since keeps its new connection. Returns the connections ended here."""
    ended: list[RecordedConnection] = []
    for connection in cmd.recorded:
        if await is_live(connection.charge_point_id):
            continue
        charger = await charger_disconnected(
            uow_factory(connection.tenant_id),
            ReportDisconnected(connection.charger_id, connection.connection_id),
            clock,
        )
        if charger.connection_id is None:
            ended.append(connection)
    return ended


async def charger_seen(uow: UnitOfWork, cmd: ReportSeen, clock: Clock = utcnow) -> None:
    """A heartbeat: only last_seen_at moves, and nobody is told (it would flood subscribers)."""
    async with uow:
        found(await uow.chargers.touch(cmd.charger_id, clock()), "charger", cmd.charger_id)
        await uow.commit()


async def report_boot(uow: UnitOfWork, cmd: ReportBoot, clock: Clock = utcnow) -> Charger:
    async with uow:
        charger = found(await uow.chargers.get(cmd.charger_id), "charger", cmd.charger_id)
        charger.vendor, charger.model, charger.firmware_version = cmd.vendor, cmd.model, cmd.firmware_version
        charger.last_seen_at = clock()
        await uow.chargers.update(charger)
        changed(uow, charger, ChargerChange.BOOTED)
        await uow.commit()
    return charger


async def report_connector_status(uow: UnitOfWork, cmd: ReportConnectorStatus, clock: Clock = utcnow) -> Connector:
    now = clock()
    async with uow:
        charger = found(await uow.chargers.touch(cmd.charger_id, now), "charger", cmd.charger_id)
        connector = Connector(
            tenant_id=uow.tenant_id,
            charger_id=charger.id,
            connector_id=cmd.connector_id,
            status=cmd.status,
            updated_at=cmd.timestamp or now,
        )
        await uow.connectors.upsert(connector)
        changed(uow, charger, ChargerChange.CONNECTOR_STATUS)
        await uow.commit()
    return connector
