"""Frames the log set aside are read over the API by the admins of their tenant, and by nobody else."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from prometheus_client.parser import text_string_to_metric_families

from autocharge.main import Autocharge
from domain.model import LogDirection, OcppLogEntry, OcppMessageType
from tests.builders import a_charger, a_log_entry, a_tenant
from tests.e2e.harness import Api, TenantAccess, http_get

LETTER = "id chargerId chargePointId timestamp failedAt direction messageType raw error"
LETTERS = (
    "query($first: Int, $after: String, $charger: ID) {"
    " ocppDeadLetters(first: $first, after: $after, chargerId: $charger) {"
    f" totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {LETTER} }} }} }} }}"
)


def poisoned(tenant_id: UUID, unique_id: str, charger_id: UUID | None = None) -> OcppLogEntry:
    """A frame of a charger the database does not hold (so its row breaks a foreign key), NUL in its payload."""
    charger = a_charger(tenant_id) if charger_id is None else a_charger(tenant_id, id=charger_id)
    return a_log_entry(
        charger,
        unique_id=unique_id,
        action="DataTransfer",
        direction=LogDirection.TO_CHARGER,
        message_type=OcppMessageType.CALL,
        payload={"vendorId": "acme", "data": "a\x00b"},
    )


async def set_aside(server: Autocharge, *entries: OcppLogEntry) -> None:
    """Through the server's own frame journal, as the OCPP server hands it every frame."""
    before = server.journal.dead_lettered
    for entry in entries:
        server.journal.append(entry)
    await server.journal.flush()
    assert server.journal.dead_lettered == before + len(entries)


async def letters(api: Api, **variables: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api(LETTERS, **variables))["ocppDeadLetters"]
    return result


async def test_a_poisoned_frame_shows_up_for_its_tenants_admins_only(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    frame = poisoned(acme.tenant.id, "poison-1")
    await set_aside(server, frame)

    page = await letters(acme.admin)

    assert page["totalCount"] == 1 and page["pageInfo"]["hasNextPage"] is False
    [letter] = [edge["node"] for edge in page["edges"]]
    assert {key: letter[key] for key in ("id", "chargerId", "chargePointId", "direction", "messageType")} == {
        "id": str(frame.id),
        "chargerId": str(frame.charger_id),
        "chargePointId": frame.charge_point_id,
        "direction": "TO_CHARGER",
        "messageType": "CALL",
    }
    raw = json.loads(letter["raw"])
    assert (raw["uniqueId"], raw["action"], raw["payload"]) == ("poison-1", "DataTransfer", frame.payload)
    assert letter["raw"].isascii() and "\\u0000" in letter["raw"]  # the NUL kept, as an escape
    assert "foreign key" in letter["error"].lower()  # the constraint the row broke
    assert letter["timestamp"].startswith(frame.timestamp.isoformat()[:19])
    assert letter["failedAt"] > letter["timestamp"]
    assert await letters(globex.admin) == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "edges": [],
    }
    assert await acme.read_only.error_code(LETTERS) == "FORBIDDEN"


async def test_dead_letters_page_newest_first_and_filter_by_charger(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    gone = a_charger(acme.tenant.id).id
    await set_aside(server, poisoned(acme.tenant.id, "a1", gone), poisoned(acme.tenant.id, "b1"))
    await set_aside(server, poisoned(globex.tenant.id, "g1", gone))  # another tenant, even with the same charger id
    await set_aside(server, poisoned(acme.tenant.id, "a2", gone))

    first = await letters(acme.admin, first=2)
    rest = await letters(acme.admin, first=2, after=first["pageInfo"]["endCursor"])
    on_gone = await letters(acme.admin, charger=str(gone))

    def unique_ids(page: dict[str, Any]) -> list[str]:
        return [json.loads(edge["node"]["raw"])["uniqueId"] for edge in page["edges"]]

    assert (unique_ids(first), unique_ids(rest)) == (["a2", "b1"], ["a1"])
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (3, True, False)
    assert (unique_ids(on_gone), on_gone["totalCount"]) == (["a2", "a1"], 2)
    assert unique_ids(await letters(globex.admin)) == ["g1"]
    assert await acme.admin.error_code(LETTERS, after="not-a-cursor") == "VALIDATION"


async def test_a_frame_filed_under_no_known_tenant_is_only_counted(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    await set_aside(server, poisoned(a_tenant().id, "nobody's"))

    response = await http_get(server, "/metrics")

    counted = {
        sample.name: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert counted["ocpp_log_dead_letters_total"] == 1
    assert (await letters(acme.admin))["totalCount"] == 0
    assert (await letters(globex.admin))["totalCount"] == 0
