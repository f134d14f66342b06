"""The directory: lookups across tenants, before one is known, and the system's own housekeeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from domain.errors import Unavailable
from domain.ids import new_id
from domain.model import ApiRole, ConnectionState, PairingSession, Principal
from domain.model.tenants import ApiKey
from domain.queries import ChargerLogin, RecordedConnection
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.tables import ocpp_log_dead_letters
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_log_entry
from tests.databases import RecordingBus, Seed


async def test_tenants_and_api_keys(seed: Seed, directory: SqlDirectory) -> None:
    tenant = await seed.tenant(name="Acme Charging")
    assert await directory.tenant_by_slug(tenant.slug) == tenant
    assert await directory.tenant_by_slug("nobody") is None
    key = ApiKey(id=new_id(), tenant_id=tenant.id, role=ApiRole.READ_ONLY, key_hash="h1", prefix="ak_1", created_at=T0)
    revoked = ApiKey(
        id=new_id(), tenant_id=tenant.id, role=ApiRole.ADMIN, key_hash="h2", prefix="ak_2", created_at=T0, revoked_at=T0
    )
    await directory.add_api_key(key)
    await directory.add_api_key(revoked)
    assert await directory.principal_for_key("h1") == Principal(
        tenant.id, "Acme Charging", ApiRole.READ_ONLY, key_id=key.id
    )
    assert await directory.principal_for_key("h2") is None
    assert await directory.principal_for_key("unknown") is None


async def test_api_keys_are_listed_revoked_once_and_their_use_only_moves_forward(
    seed: Seed, directory: SqlDirectory
) -> None:
    tenant, other = await seed.tenant(name="Acme"), await seed.tenant(name="Globex")
    later, latest = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    key = ApiKey(
        id=new_id(),
        tenant_id=tenant.id,
        role=ApiRole.ADMIN,
        key_hash="h1",
        prefix="ak_1",
        created_at=T0,
        name="ci",
        expires_at=latest,
    )
    await directory.add_api_key(key)
    assert (await directory.principal_for_key("h1")) == Principal(
        tenant.id, "Acme", ApiRole.ADMIN, key_id=key.id, expires_at=latest
    )
    assert await directory.api_keys(tenant.id, include_revoked=False) == [key]
    assert await directory.api_keys(other.id, include_revoked=True) == []
    assert await directory.api_key_tenant(key.id) == tenant.id

    await directory.record_key_use({key.id: later})
    await directory.record_key_use({key.id: T0})  # an older use (another process's late flush) changes nothing
    assert (await directory.api_keys(tenant.id, include_revoked=False))[0].last_used_at == later

    assert await directory.revoke_api_key(other.id, key.id, later) is None  # not the other tenant's to revoke
    revoked = await directory.revoke_api_key(tenant.id, key.id, later)
    assert revoked is not None and revoked.revoked_at == later
    again = await directory.revoke_api_key(tenant.id, key.id, latest)
    assert again is not None and again.revoked_at == later  # the first revocation stands
    assert await directory.principal_for_key("h1") is None
    assert await directory.api_keys(tenant.id, include_revoked=False) == []
    assert [k.id for k in await directory.api_keys(tenant.id, include_revoked=True)] == [key.id]


async def test_charger_login_finds_the_charger_in_any_tenant(seed: Seed, directory: SqlDirectory) -> None:
    charger = await seed.charger((await seed.tenant()).id, charge_point_id="CP-42", password_hash="pbkdf2$x")
    assert await directory.charger_login("CP-42") == ChargerLogin(charger.tenant_id, charger.id, "CP-42", "pbkdf2$x")
    assert await directory.charger_login("CP-43") is None


async def test_due_pairing_sessions_across_tenants(
    seed: Seed, directory: SqlDirectory, uow_factory: SqlUnitOfWorkFactory
) -> None:
    due = []
    for minutes in (1, 5, 30):
        tenant = await seed.tenant()
        charger, car = await seed.charger(tenant.id), await seed.vehicle(await seed.user(tenant.id))
        session = PairingSession(
            id=new_id(),
            tenant_id=tenant.id,
            vehicle_id=car.id,
            charger_id=charger.id,
            started_at=T0,
            expires_at=T0 + timedelta(minutes=minutes),
        )
        async with uow_factory(tenant.id) as uow:
            await uow.pairing.add(session)
            await uow.commit()
        due.append((tenant.id, session.id))
    assert await directory.due_pairing_sessions(T0 + timedelta(minutes=5)) == due[:2]
    assert await directory.due_pairing_sessions(T0) == []


async def test_purge_deletes_old_logs_in_every_tenant(
    seed: Seed, directory: SqlDirectory, database: Database, bus: RecordingBus
) -> None:
    chargers = [await seed.charger((await seed.tenant()).id) for _ in range(2)]
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    for charger in chargers:
        for days in (40, 31, 1):
            journal.append(a_log_entry(charger, timestamp=T0 - timedelta(days=days)))
    await journal.stop()
    assert await directory.purge_logs(T0 - timedelta(days=30)) == 4
    assert await directory.purge_logs(T0 - timedelta(days=30)) == 0
    assert await directory.purge_logs(T0) == 2


async def test_ping_passes_while_the_database_answers_and_says_unavailable_when_it_does_not(
    directory: SqlDirectory, database: Database
) -> None:
    assert await directory.ping() is None
    assert await database.ping() is None
    # A port nothing listens on: refused at once, whichever database the suite runs on.
    unreachable = Database("postgresql+asyncpg://postgres@127.0.0.1:1/autocharge")
    try:
        with pytest.raises(Unavailable):
            await unreachable.ping()
    finally:
        await unreachable.dispose()


async def test_recorded_connections_lists_connected_chargers_of_every_tenant_last_seen_before(
    seed: Seed, directory: SqlDirectory
) -> None:
    a, b = (await seed.tenant()).id, (await seed.tenant()).id
    old = await seed.charger(
        a,
        charge_point_id="CP-OLD",
        connection_state=ConnectionState.CONNECTED,
        connection_id=new_id(),
        last_seen_at=T0 - timedelta(minutes=5),
    )
    other_tenant = await seed.charger(
        b,
        charge_point_id="CP-B",
        connection_state=ConnectionState.CONNECTED,
        connection_id=new_id(),
        last_seen_at=T0 - timedelta(minutes=1),
    )
    await seed.charger(  # seen after the cut-off: maybe just connected, not yet claimed
        a,
        charge_point_id="CP-FRESH",
        connection_state=ConnectionState.CONNECTED,
        connection_id=new_id(),
        last_seen_at=T0,
    )
    await seed.charger(
        a,
        charge_point_id="CP-GONE",
        connection_state=ConnectionState.DISCONNECTED,
        last_seen_at=T0 - timedelta(hours=1),
    )

    cut_off = T0 - timedelta(seconds=30)
    found = await directory.recorded_connections(seen_before=cut_off)
    first = await directory.recorded_connections(cut_off, limit=1)
    second = await directory.recorded_connections(cut_off, after=first[0].charger_id, limit=1)
    past_the_end = await directory.recorded_connections(cut_off, after=second[0].charger_id, limit=1)

    assert found == [
        RecordedConnection(a, old.id, "CP-OLD", old.connection_id),  # type: ignore[arg-type]
        RecordedConnection(b, other_tenant.id, "CP-B", other_tenant.connection_id),  # type: ignore[arg-type]
    ]
    assert (first, second, past_the_end) == (found[:1], found[1:], [])  # pages in charger id order


async def test_purge_deletes_old_dead_letters_too(seed: Seed, directory: SqlDirectory, database: Database) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)

    def dead_letter(days: int) -> dict[str, object]:
        return {
            "id": new_id(),
            "tenant_id": tenant.id,
            "charger_id": charger.id,
            "charge_point_id": "CP-1",
            "timestamp": T0 - timedelta(days=days),
            "direction": "FROM_CHARGER",
            "message_type": "CALL",
            "raw": "{}",
            "error": "refused",
            "failed_at": T0 - timedelta(days=days),
        }

    async with database.engine.begin() as connection:
        await connection.execute(insert(ocpp_log_dead_letters), [dead_letter(40), dead_letter(1)])
    assert await directory.purge_logs(T0 - timedelta(days=30)) == 1
    async with database.engine.connect() as connection:
        left = (await connection.execute(select(func.count()).select_from(ocpp_log_dead_letters))).scalar_one()
    assert left == 1
