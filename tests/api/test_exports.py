"""CSV exports: auth, parameters, content, and streaming page by page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from domain.commands import StartTransaction, Token
from domain.ids import new_id
from domain.model import ApiRole
from domain.model.tenants import ApiKey
from domain.secrets import hash_api_key
from domain.services import transactions as transaction_service
from tests.api import factories
from tests.api.harness import ADMIN_B, READER_A, Api
from tests.builders import a_user


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_exports_need_a_key(api: Api) -> None:
    for path in ("/exports/users.csv", "/exports/transactions.csv"):
        response = await api.http.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
        bad = await api.http.get(path, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


async def test_users_csv_has_tags_but_never_vehicles_or_identifiers(api: Api) -> None:
    ada = await factories.user(api, "ada@example.com")
    car = await factories.vehicle(api, ada, "SECRET-1")
    add_tag = 'mutation($u: ID!) { addRfidTag(userId: $u, idTag: "04A1B2C3") { id } }'
    await api.data(add_tag, {"u": str(ada.id)})
    add_id = 'mutation($v: ID!) { addVehicleIdentifier(vehicleId: $v, value: "VID:0A1B2C3D4E5F") { id } }'
    await api.data(add_id, {"v": str(car.id)})
    await factories.user(api, "other@example.com", tenant=api.tenant_b)
    response = await api.http.get("/exports/users.csv", headers={"Authorization": f"Bearer {READER_A}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "SECRET1" not in response.text
    assert "0A1B2C3D4E5F" not in response.text
    assert rows(response.text) == [
        {
            "id": str(ada.id),
            "email": "ada@example.com",
            "name": "Driver",
            "created_at": "2026-11-21T08:00:00+00:00",
            "rfid_tags": "04A1B2C3",
        }
    ]


async def test_users_csv_streams_every_page(api: Api) -> None:
    users = api.store.table("users")
    for n in range(1203):  # more than two pages of 500; stored directly, the use case is tested elsewhere
        user = a_user(api.tenant_a, email=f"u{n:04}@example.com", created_at=api.clock())
        users[user.id] = user
    async with api.http.stream("GET", "/exports/users.csv", headers={"Authorization": f"Bearer {READER_A}"}) as resp:
        chunks = [chunk async for chunk in resp.aiter_text()]
    assert len(chunks) >= 3  # the header and each page leave as they are read
    assert len(rows("".join(chunks))) == 1203


async def test_transactions_csv(api: Api) -> None:
    ada = await factories.user(api)
    car = await factories.vehicle(api, ada)
    charger = await factories.charger(api)
    await api.data('mutation($u: ID!) { addRfidTag(userId: $u, idTag: "RFID1") { id } }', {"u": str(ada.id)})
    cmd = StartTransaction(
        charger.id, 2, Token.from_ocpp16("RFID1"), 1000, api.clock(), "key-1", tenant_id=api.tenant_a
    )
    await transaction_service.start_transaction(lambda t: api.uow(t), cmd, api.clock)
    headers = {"Authorization": f"Bearer {READER_A}"}
    response = await api.http.get("/exports/transactions.csv", headers=headers, params={"vehicleId": str(car.id)})
    assert response.status_code == 200
    [row] = rows(response.text)
    assert row["charge_point_id"] == "CP-1"
    assert row["connector_id"] == "2"
    assert row["origin"] == "RFID"
    assert row["status"] == "ACTIVE"
    assert row["user_email"] == ada.email
    assert row["license_plate"] == car.license_plate
    assert row["stopped_at"] == ""
    other = await api.http.get("/exports/transactions.csv", headers={"Authorization": f"Bearer {ADMIN_B}"})
    assert rows(other.text) == []


async def test_transactions_csv_bad_parameters_are_400(api: Api) -> None:
    headers = {"Authorization": f"Bearer {READER_A}"}
    for params in ({"vehicleId": "nope"}, {"from": "yesterday"}, {"to": "2026-13-01T00:00:00Z"}):
        response = await api.http.get("/exports/transactions.csv", headers=headers, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == "VALIDATION"
    ok = await api.http.get("/exports/transactions.csv", headers=headers, params={"from": "2026-01-01T00:00:00Z"})
    assert ok.status_code == 200


async def test_exports_check_a_key_through_the_apis_principal_cache_on_its_clock(api: Api) -> None:
    key = ApiKey(
        id=new_id(),
        tenant_id=api.tenant_a,
        role=ApiRole.READ_ONLY,
        key_hash=hash_api_key("ak_expiring"),
        prefix="ak_expiring",
        created_at=api.clock(),
        expires_at=api.clock() + timedelta(minutes=1),
    )
    await api.directory.add_api_key(key)
    headers = {"Authorization": "Bearer ak_expiring"}
    assert (await api.http.get("/exports/users.csv", headers=headers)).status_code == 200
    api.clock.advance(120)
    expired = await api.http.get("/exports/users.csv", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["error"] == {"code": "UNAUTHENTICATED", "message": expired.json()["error"]["message"]}
    assert "expired" in expired.json()["error"]["message"]
