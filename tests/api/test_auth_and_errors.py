"""Keys, roles, tenants and the error codes every failure maps to."""

from __future__ import annotations

import pytest

from tests.api import factories
from tests.api.harness import ADMIN_B, READER_A, Api
from tests.unit.fakes import FakeUsers

ME = "{ me { tenantId tenantName role } }"
CREATE_USER = 'mutation { createUser(input: {email: "new@example.com", name: "New"}) { id } }'


async def test_no_key_is_unauthenticated(api: Api) -> None:
    error = await api.error(ME, key=None)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Bearer" in error["message"]


async def test_a_bad_key_is_unauthenticated(api: Api) -> None:
    error = await api.error(ME, key="ak_nonsense")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.error(CREATE_USER, key="ak_nonsense"))["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.error(CREATE_USER, key=None))["extensions"]["code"] == "UNAUTHENTICATED"


async def test_me_is_the_key_s_principal(api: Api) -> None:
    assert (await api.data(ME))["me"] == {"tenantId": str(api.tenant_a), "tenantName": "Fleet A", "role": "ADMIN"}
    assert (await api.data(ME, key=READER_A))["me"]["role"] == "READ_ONLY"


async def test_read_only_keys_read_but_never_write(api: Api) -> None:
    error = await api.error(CREATE_USER, key=READER_A)
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert (await api.data("{ users { totalCount } }", key=READER_A))["users"]["totalCount"] == 0


async def test_a_non_uuid_id_is_validation(api: Api) -> None:
    error = await api.error('{ user(id: "not-a-uuid") { id } }')
    assert error["extensions"]["code"] == "VALIDATION"
    assert "not-a-uuid" in error["message"]


async def test_another_tenant_s_ids_read_as_unknown(api: Api) -> None:
    theirs = await factories.user(api, tenant=api.tenant_b)
    assert (await api.data("query($id: ID!) { user(id: $id) { id } }", {"id": str(theirs.id)}))["user"] is None
    error = await api.error(
        'mutation($u: ID!) { addVehicle(input: {userId: $u, licensePlate: "X1"}) { id } }', {"u": str(theirs.id)}
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
    # ... while its own tenant sees it.
    mine = await api.data("query($id: ID!) { user(id: $id) { email } }", {"id": str(theirs.id)}, key=ADMIN_B)
    assert mine["user"]["email"] == theirs.email


async def test_a_query_deeper_than_the_limit_is_refused(api: Api) -> None:
    deep = "{ vehicles { edges { node { user { vehicles { user { vehicles { user { vehicles { id } } } } } } } } } }"
    error = await api.error(deep)
    assert error["extensions"]["code"] == "VALIDATION"
    assert "depth" in error["message"]


async def test_an_unexpected_error_is_generic_and_logged(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(FakeUsers, "page", broken)
    error = await api.error("{ users { totalCount } }")
    assert error["extensions"]["code"] == "INTERNAL"
    assert "hunter2" not in error["message"]


async def test_a_syntax_error_has_a_code(api: Api) -> None:
    error = await api.error("{ users { ")
    assert error["extensions"]["code"] == "VALIDATION"
