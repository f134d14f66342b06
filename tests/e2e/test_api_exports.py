"""CSV exports over real HTTP on the real database: bearer keys, content, filters, refusals."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from autocharge.main import Autocharge
from domain.ids import new_id
from domain.model import RfidTag, TransactionOrigin, TransactionStatus
from tests.builders import T0, a_charger, a_transaction, a_user, a_vehicle, an_identifier
from tests.e2e.harness import TenantAccess, http_get

USER_HEADER = ["id", "email", "name", "created_at", "rfid_tags"]
TRANSACTION_HEADER = [
    "id",
    "charge_point_id",
    "connector_id",
    "ocpp_transaction_id",
    "origin",
    "status",
    "user_email",
    "license_plate",
    "started_at",
    "stopped_at",
    "energy_wh",
    "stop_reason",
]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
async def fleet(server: Autocharge, acme: TenantAccess) -> dict[str, Any]:
    """Acme: Dana (tags 04B, 04A) with car AB123CD (identifier 0A1B2C3D4E5F) and van VAN1; charger CP-7; six
    sessions a minute apart from T0: 0-1 AUTOCHARGE on the car, 2-3 RFID on the van, 4-5 REMOTE without one."""
    tenant = acme.tenant.id
    dana = a_user(tenant, email="dana@acme.example", name="Dana")
    car, van = a_vehicle(dana, license_plate="AB123CD"), a_vehicle(dana, license_plate="VAN1")
    charger = a_charger(tenant, charge_point_id="CP-7")
    origins = [TransactionOrigin.AUTOCHARGE] * 2 + [TransactionOrigin.RFID] * 2 + [TransactionOrigin.REMOTE] * 2
    vehicles = [car, car, van, van, None, None]
    sessions = [
        a_transaction(
            charger,
            n,
            origin=origin,
            user_id=dana.id,
            vehicle_id=vehicle.id if vehicle else None,
            status=TransactionStatus.COMPLETED,
            stopped_at=T0 + timedelta(minutes=n, seconds=30),
            meter_stop_wh=1000 + 100 * n,
            stop_reason="EVDisconnected",
        )
        for n, (origin, vehicle) in enumerate(zip(origins, vehicles, strict=True))
    ]
    async with server.deps.uow(tenant) as uow:
        await uow.users.add(dana)
        for tag in ("04B", "04A"):
            await uow.rfid_tags.add(RfidTag(id=new_id(), tenant_id=tenant, user_id=dana.id, id_tag=tag, created_at=T0))
        await uow.vehicles.add(car)
        await uow.vehicles.add(van)
        await uow.identifiers.add(an_identifier(car, "VID:0A1B2C3D4E5F"))
        await uow.chargers.add(charger)
        for session in sessions:
            await uow.transactions.add(session)
        await uow.commit()
    return {"dana": dana, "car": car, "van": van, "sessions": sessions}


async def test_exports_without_a_valid_key_are_401(server: Autocharge) -> None:
    answers = {}
    for path in ("/exports/users.csv", "/exports/transactions.csv"):
        for key in (None, "ak_not-a-key"):
            response = await http_get(server, path, key)
            answers[(path, key)] = (
                response.status_code,
                response.headers.get("www-authenticate"),
                response.json()["error"]["code"],
            )

    assert set(answers.values()) == {(401, "Bearer", "UNAUTHENTICATED")}


async def test_a_read_only_key_downloads_both_exports_as_csv_attachments(
    server: Autocharge, acme: TenantAccess
) -> None:
    answers = {}
    for name in ("users.csv", "transactions.csv"):
        response = await http_get(server, f"/exports/{name}", acme.read_only.key)
        answers[name] = (
            response.status_code,
            response.headers["content-type"],
            response.headers["content-disposition"],
        )

    assert answers == {
        name: (200, "text/csv; charset=utf-8", f'attachment; filename="{name}"')
        for name in ("users.csv", "transactions.csv")
    }


async def test_users_csv_lists_every_user_of_the_tenant_across_pages_with_their_rfid_tags(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess, fleet: dict[str, Any]
) -> None:
    many = [a_user(acme.tenant.id) for _ in range(520)]  # more than one page of 500
    async with server.deps.uow(acme.tenant.id) as uow:
        for user in many:
            await uow.users.add(user)
        await uow.commit()
    await globex.admin.create_user("someone@globex.example")

    response = await http_get(server, "/exports/users.csv", acme.read_only.key)

    rows = _rows(response.text)
    assert response.text.splitlines()[0].split(",") == USER_HEADER
    assert sorted(row["id"] for row in rows) == sorted(str(user.id) for user in [fleet["dana"], *many])
    dana = next(row for row in rows if row["email"] == "dana@acme.example")
    assert (dana["name"], dana["rfid_tags"], dana["created_at"]) == ("Dana", "04A 04B", T0.isoformat())


async def test_users_csv_never_carries_vehicles_plates_or_identifiers(
    server: Autocharge, acme: TenantAccess, fleet: dict[str, Any]
) -> None:
    response = await http_get(server, "/exports/users.csv", acme.admin.key)

    text = response.text
    secrets = ["AB123CD", "VAN1", "VID:", "0A1B2C3D4E5F", "0A:1B", str(fleet["car"].id), str(fleet["van"].id)]
    assert [secret for secret in secrets if secret.lower() in text.lower()] == []
    assert [list(row) for row in _rows(text)] == [USER_HEADER]


async def test_transactions_csv_has_each_session_with_its_origin_and_license_plate(
    server: Autocharge, acme: TenantAccess, fleet: dict[str, Any]
) -> None:
    response = await http_get(server, "/exports/transactions.csv", acme.read_only.key)

    rows = _rows(response.text)
    assert response.text.splitlines()[0].split(",") == TRANSACTION_HEADER
    assert [(row["ocpp_transaction_id"], row["origin"], row["license_plate"]) for row in rows] == [
        ("5", "REMOTE", ""),
        ("4", "REMOTE", ""),
        ("3", "RFID", "VAN1"),
        ("2", "RFID", "VAN1"),
        ("1", "AUTOCHARGE", "AB123CD"),
        ("0", "AUTOCHARGE", "AB123CD"),
    ]
    first = rows[-1]
    assert first == {
        "id": str(fleet["sessions"][0].id),
        "charge_point_id": "CP-7",
        "connector_id": "1",
        "ocpp_transaction_id": "0",
        "origin": "AUTOCHARGE",
        "status": "COMPLETED",
        "user_email": "dana@acme.example",
        "license_plate": "AB123CD",
        "started_at": T0.isoformat(),
        "stopped_at": (T0 + timedelta(seconds=30)).isoformat(),
        "energy_wh": "0",
        "stop_reason": "EVDisconnected",
    }


async def test_transactions_csv_filters_by_start_time_and_vehicle(
    server: Autocharge, acme: TenantAccess, fleet: dict[str, Any]
) -> None:
    def minute(n: int) -> str:
        return (T0 + timedelta(minutes=n)).isoformat()

    car, van = str(fleet["car"].id), str(fleet["van"].id)
    filters: dict[str, dict[str, str]] = {
        "from": {"from": minute(2)},
        "to (excluded)": {"to": minute(2)},
        "from-to": {"from": minute(1), "to": minute(4)},
        "vehicle": {"vehicleId": van},
        "vehicle-from": {"vehicleId": car, "from": minute(1)},
        "another offset": {"from": "2025-01-01T09:00:00+01:00", "to": "2025-01-01T09:03:00+01:00"},
        "no offset: UTC, as GraphQL reads it": {"from": "2025-01-01T08:04:00"},
    }

    found = {}
    for name, params in filters.items():
        response = await http_get(server, "/exports/transactions.csv", acme.read_only.key, **params)
        found[name] = [row["ocpp_transaction_id"] for row in _rows(response.text)]

    assert found == {
        "from": ["5", "4", "3", "2"],
        "to (excluded)": ["1", "0"],
        "from-to": ["3", "2", "1"],
        "vehicle": ["3", "2"],
        "vehicle-from": ["1"],
        "another offset": ["2", "1", "0"],
        "no offset: UTC, as GraphQL reads it": ["5", "4"],
    }


async def test_transactions_csv_of_another_tenant_s_vehicle_is_empty_like_an_unknown_one(
    server: Autocharge, globex: TenantAccess, fleet: dict[str, Any]
) -> None:
    bodies = [
        (await http_get(server, "/exports/transactions.csv", globex.read_only.key, vehicleId=str(vehicle))).text
        for vehicle in (fleet["car"].id, new_id())
    ]

    assert bodies == [",".join(TRANSACTION_HEADER) + "\r\n"] * 2


async def test_transactions_csv_with_a_bad_parameter_is_400_with_the_reason(
    server: Autocharge, acme: TenantAccess
) -> None:
    refusals = {}
    for params in ({"from": "yesterday"}, {"to": "2025-13-01T08:00:00Z"}, {"vehicleId": "not-a-uuid"}):
        response = await http_get(server, "/exports/transactions.csv", acme.read_only.key, **params)
        refusals[str(params)] = (response.status_code, response.json())

    def refused(message: str) -> tuple[int, dict[str, Any]]:
        return 400, {"error": {"code": "VALIDATION", "message": message}}

    assert refusals == {
        "{'from': 'yesterday'}": refused("from 'yesterday' is not an ISO-8601 timestamp"),
        "{'to': '2025-13-01T08:00:00Z'}": refused("to '2025-13-01T08:00:00Z' is not an ISO-8601 timestamp"),
        "{'vehicleId': 'not-a-uuid'}": refused("vehicleId 'not-a-uuid' is not a UUID"),
    }
