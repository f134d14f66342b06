"""A websocket connection_init from a caller the login throttle locked out is not refused like a bad key: 4429 on
graphql-transport-ws (4403 is a bad key), RATE_LIMITED on the legacy graphql-ws protocol."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close
from websockets.typing import Subprotocol

from autocharge.main import Autocharge
from tests.api.wsclient import graphql_ws
from tests.e2e.harness import running, tenant_access
from tests.e2e.harness import test_settings as settings_for


async def closed_at_init(server: Autocharge, key: str) -> Close:
    """Open a websocket, send connection_init with `key`, and return the server's close frame."""
    url = f"ws://{server.settings.host}:{server.api_port}/graphql"
    async with graphql_ws(url, {"Authorization": f"Bearer {key}"}) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive()
    assert closed.value.rcvd is not None
    return closed.value.rcvd


async def test_a_locked_out_address_is_closed_with_4429_and_a_bad_key_with_4403(database_url: str) -> None:
    async with running(settings_for(database_url, auth_failure_limit_per_address="2/minute")) as server:
        acme = await tenant_access(server, "Acme Fleet")
        bad = [await closed_at_init(server, f"ak_wsguess{n}-xxxxxxxxxxxxxxxxxxx") for n in range(2)]
        locked_bad = await closed_at_init(server, "ak_wsguess9-xxxxxxxxxxxxxxxxxxx")
        locked_valid = await closed_at_init(server, acme.admin.key)  # a valid key, from the locked address

    assert [(close.code, close.reason) for close in bad] == [(4403, "Forbidden")] * 2
    for locked in (locked_bad, locked_valid):
        assert locked.code == 4429
        assert re.fullmatch(r"Too many requests; retry after \d+s", locked.reason), locked.reason
        assert 1 <= int(locked.reason.split()[-1].rstrip("s")) <= 60


async def legacy_refusal(server: Autocharge, key: str) -> tuple[dict[str, Any], int]:
    """connection_init over the legacy graphql-ws protocol: the server's answer, and the close code after it."""
    url = f"ws://{server.settings.host}:{server.api_port}/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-ws")]) as connection:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}}
        await connection.send(json.dumps(init))
        answer: dict[str, Any] = json.loads(await connection.recv())
        with pytest.raises(ConnectionClosed) as closed:
            await connection.recv()
    assert closed.value.rcvd is not None
    return answer, closed.value.rcvd.code


async def test_on_the_legacy_protocol_a_locked_out_address_is_told_rate_limited(database_url: str) -> None:
    async with running(settings_for(database_url, auth_failure_limit_per_address="1/minute")) as server:
        acme = await tenant_access(server, "Acme Fleet")
        bad = await legacy_refusal(server, "ak_wsguess0-xxxxxxxxxxxxxxxxxxx")
        locked = await legacy_refusal(server, acme.admin.key)

    assert bad == ({"type": "connection_error", "payload": {}}, 1011)
    answer, code = locked
    assert (answer["type"], answer["payload"]["code"], code) == ("connection_error", "RATE_LIMITED", 1011)
    assert answer["payload"]["message"].startswith("Too many requests; retry after ")
