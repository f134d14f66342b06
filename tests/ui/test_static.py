"""The UI's files are served by the API's own process at / (no build step), beside the API's routes."""

from __future__ import annotations

import re

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from autocharge.main import Autocharge
from tests.e2e.harness import http_get
from tests.ui.conftest import UI_LOOP

pytestmark = UI_LOOP


async def test_the_back_office_page_is_served_at_the_root(server: Autocharge) -> None:
    response = await http_get(server, "/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/app/main.js">' in response.text


async def test_every_module_the_import_map_names_is_served_as_javascript(server: Autocharge) -> None:
    page = (await http_get(server, "/")).text
    modules = re.findall(r'"(/vendor/[^"]+\.m?js)"', page)
    assert len(modules) == 5

    for path in [*modules, "/vendor/graphql-ws/common-CGW11Fyb.js", "/app/main.js"]:
        response = await http_get(server, path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"], path


async def test_the_graphql_documents_are_served_as_text(server: Autocharge) -> None:
    response = await http_get(server, "/operations/Me.graphql")

    assert response.status_code == 200
    assert "query Me" in response.text


async def test_the_api_keeps_its_paths_and_an_unknown_path_is_not_found(server: Autocharge) -> None:
    assert (await http_get(server, "/health")).json() == {"status": "ok"}
    async with httpx.AsyncClient(base_url=server.api_url) as client:
        graphiql = await client.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()  # GraphiQL stays at /graphql
    assert (await http_get(server, "/no-such-page.html")).status_code == 404


async def test_a_websocket_to_another_path_than_graphql_is_refused(server: Autocharge) -> None:
    url = f"ws://{server.settings.host}:{server.api_port}/not-graphql"

    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass

    assert refused.value.response.status_code == 403
