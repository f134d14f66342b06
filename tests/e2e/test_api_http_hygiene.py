"""HTTP hygiene of the API's process: CORS for the configured origins only; security headers on the HTML pages."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, running
from tests.e2e.harness import test_settings as settings_for

FLEET = "https://fleet.example"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
ME = {"query": "{ me { role } }"}


def inline_script_hash(page: str) -> str:
    [script] = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page, re.DOTALL)
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def assert_page_headers(response: httpx.Response) -> str:
    """The headers every HTML page carries; returns its Content-Security-Policy."""
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    return policy


async def test_no_origin_may_call_the_api_from_a_browser_by_default(server: Autocharge, acme: TenantAccess) -> None:
    async with httpx.AsyncClient(base_url=server.api_url) as client:
        preflight = await client.options("/graphql", headers={"Origin": FLEET, **PREFLIGHT})
        call = await client.post(
            "/graphql", json=ME, headers={"Origin": FLEET, "Authorization": f"Bearer {acme.admin.key}"}
        )

    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405  # no CORS: an OPTIONS request is just a method /graphql does not take
    assert call.status_code == 200 and "access-control-allow-origin" not in call.headers


async def test_only_the_configured_origins_may_call_the_api_from_a_browser(database_url: str) -> None:
    settings = settings_for(database_url, api_cors_origins=f"{FLEET}, http://127.0.0.1:3000")
    async with running(settings) as server, httpx.AsyncClient(base_url=server.api_url) as client:
        allowed = await client.options("/graphql", headers={"Origin": FLEET, **PREFLIGHT})
        other = await client.options("/graphql", headers={"Origin": "https://evil.example", **PREFLIGHT})
        call = await client.post("/graphql", json=ME, headers={"Origin": FLEET})

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == FLEET
    assert {"authorization", "content-type"} <= set(allowed.headers["access-control-allow-headers"].lower().split(", "))
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    assert call.headers["access-control-allow-origin"] == FLEET  # the answer (UNAUTHENTICATED) is readable there


async def test_the_ui_page_has_security_headers_and_a_policy_of_its_own_files_and_import_map(
    server: Autocharge,
) -> None:
    async with httpx.AsyncClient(base_url=server.api_url) as client:
        page = await client.get("/")
        script = await client.get("/app/main.js")

    policy = assert_page_headers(page)
    assert f"script-src 'self' {inline_script_hash(page.text)};" in policy
    assert "connect-src 'self'" in policy and "unsafe-inline" not in policy
    assert "content-security-policy" not in script.headers  # a header of pages, not of every file


async def test_graphiql_has_security_headers_and_a_policy_allowing_its_start_up_script(server: Autocharge) -> None:
    async with httpx.AsyncClient(base_url=server.api_url) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})

    policy = assert_page_headers(page)
    assert f"script-src 'self' https://unpkg.com {inline_script_hash(page.text)};" in policy
