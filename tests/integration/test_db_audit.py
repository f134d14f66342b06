"""The audit log in the database: an entry commits or rolls back with the change it records; paged; purged."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest

from domain.errors import Conflict
from domain.ids import new_id
from domain.model import ApiRole, User
from domain.model.tenants import ApiKey
from domain.pagination import PageRequest
from domain.services import audit
from infra.db.audit import SqlAuditTrail
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_user
from tests.databases import Seed


def a_record(tenant_id: UUID, **arguments: object) -> audit.AuditRecord:
    return audit.AuditRecord(
        operation="createUser", arguments=dict(arguments), api_key_id=new_id(), tenant_id=tenant_id
    )


async def add_user(uow_factory: SqlUnitOfWorkFactory, user: User, *, fail: bool = False) -> None:
    async with uow_factory(user.tenant_id) as uow:
        await uow.users.add(user)
        if fail:
            raise RuntimeError("the change fails before its commit")
        await uow.commit()


async def test_an_entry_is_written_by_the_commit_of_its_change_and_only_once(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, database: Database
) -> None:
    tenant, trail = await seed.tenant(), SqlAuditTrail(database.session_factory)
    record = a_record(tenant.id, input={"email": "ann@acme.example", "password": "hunter22"})
    with audit.auditing(record):
        with pytest.raises(RuntimeError):
            await add_user(uow_factory, a_user(tenant.id), fail=True)
        assert (await trail.page(tenant.id, PageRequest(), None)).items == []
        assert not record.written
        for _ in range(2):  # a mutation that commits twice
            await add_user(uow_factory, a_user(tenant.id))
        await audit.finish(record, trail, lambda: T0, "INTERNAL")  # already written: nothing more

    [entry] = (await trail.page(tenant.id, PageRequest(), None)).items
    assert (entry.operation, entry.outcome, entry.api_key_id, record.written) == (
        "createUser",
        "OK",
        record.api_key_id,
        True,
    )
    assert entry.arguments == {"input": {"email": "ann@acme.example", "password": "***"}}


async def test_a_change_the_database_refuses_leaves_only_the_entry_of_its_error(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, database: Database
) -> None:
    tenant, trail = await seed.tenant(), SqlAuditTrail(database.session_factory)
    user = a_user(tenant.id)
    await add_user(uow_factory, user)
    record = a_record(tenant.id)
    with audit.auditing(record):
        with pytest.raises(Conflict):
            await add_user(uow_factory, a_user(tenant.id, email=user.email))
        await audit.finish(record, trail, lambda: T0, "CONFLICT")

    assert [e.outcome for e in (await trail.page(tenant.id, PageRequest(), None)).items] == ["CONFLICT"]


async def test_directory_writes_of_a_tenant_carry_the_entry_and_another_tenants_change_does_not(
    seed: Seed, directory: SqlDirectory, uow_factory: SqlUnitOfWorkFactory, database: Database
) -> None:
    tenant, other, trail = await seed.tenant(), await seed.tenant(), SqlAuditTrail(database.session_factory)
    record = audit.AuditRecord(operation="apikey create", arguments={}, api_key_id=None, tenant_id=tenant.id)
    with audit.auditing(record):
        await add_user(uow_factory, a_user(other.id))  # not the audited tenant's change
        key = ApiKey(id=new_id(), tenant_id=tenant.id, role=ApiRole.ADMIN, key_hash="h", prefix="ak_", created_at=T0)
        await directory.add_api_key(key)

    assert (await trail.page(other.id, PageRequest(), None)).items == []
    [entry] = (await trail.page(tenant.id, PageRequest(), None)).items
    assert (entry.operation, entry.api_key_id) == ("apikey create", None)


async def test_entries_are_paged_newest_first_filtered_by_operation_and_purged_by_age(
    seed: Seed, database: Database
) -> None:
    tenant, trail = await seed.tenant(), SqlAuditTrail(database.session_factory)
    record = audit.AuditRecord(operation="", arguments={}, api_key_id=None, tenant_id=tenant.id)
    for minute, operation in enumerate(["createUser", "retireVehicle", "createUser"]):
        await trail.add(replace(record.entry(T0 + timedelta(minutes=minute), audit.OK), operation=operation))

    first = await trail.page(tenant.id, PageRequest(first=1), "createUser")
    rest = await trail.page(tenant.id, PageRequest(first=1, after=first.end_cursor), "createUser")

    assert [e.at for e in [*first.items, *rest.items]] == [T0 + timedelta(minutes=2), T0]
    assert (first.total_count, first.has_next, rest.has_next) == (2, True, False)
    assert await trail.purge(T0 + timedelta(minutes=1)) == 1
    assert [e.operation for e in (await trail.page(tenant.id, PageRequest(), None)).items] == [
        "createUser", "retireVehicle",
    ]  # fmt: skip
