"""The audit trail's rules without I/O: what is masked, and when an entry is still to be written."""

from __future__ import annotations

import pytest

from domain.ids import new_id, utcnow
from domain.services import audit


def test_secrets_and_passwords_are_masked_at_any_depth_and_nothing_else_is() -> None:
    arguments = {
        "input": {"chargePointId": "CP-1", "password": "hunter22", "Passphrase": "x", "idTag": "04A1"},
        "secret": "s",
        "apiKey": "ak_1",
        "authorization": "Bearer k",
        "tokens": [{"refreshToken": "t", "value": 1}],
        "clientCertificate": "PEM",
        "name": "keep",
    }

    assert audit.masked(arguments) == {
        "input": {"chargePointId": "CP-1", "password": "***", "Passphrase": "***", "idTag": "04A1"},
        "secret": "***",
        "apiKey": "***",
        "authorization": "***",
        "tokens": "***",
        "clientCertificate": "***",
        "name": "keep",
    }
    assert audit.masked([{"newPassword": "p"}]) == [{"newPassword": "***"}]


def test_the_current_record_is_pending_only_inside_its_block_for_its_tenant_until_written() -> None:
    tenant, other = new_id(), new_id()
    record = audit.AuditRecord(operation="createUser", arguments={}, api_key_id=None, tenant_id=tenant)

    assert audit.pending(tenant) is None
    with audit.auditing(record):
        assert audit.pending(other) is None
        assert audit.pending(tenant) is record
        record.written = True
        assert audit.pending(tenant) is None
    assert audit.pending(tenant) is None


def test_a_record_without_a_tenant_takes_the_tenant_of_the_first_change_it_is_written_with() -> None:
    tenant = new_id()
    record = audit.AuditRecord(operation="tenant create", arguments={}, api_key_id=None, tenant_id=None)

    with audit.auditing(record):
        assert audit.pending(tenant) is record

    assert record.tenant_id == tenant


async def test_once_finished_a_record_is_never_written_again_even_when_its_own_write_failed() -> None:
    class DownTrail:
        async def add(self, entry: object) -> None:
            raise RuntimeError("database down")

    tenant = new_id()
    record = audit.AuditRecord(operation="createUser", arguments={}, api_key_id=None, tenant_id=tenant)
    with audit.auditing(record):
        with pytest.raises(RuntimeError):
            await audit.finish(record, DownTrail(), utcnow, "UNAVAILABLE")  # type: ignore[arg-type]
        assert audit.pending(tenant) is None  # a task the mutation started cannot write it later as OK
