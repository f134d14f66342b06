"""A running back office and a headless Debian chromium driven by Playwright (async API) for the web UI's tests."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from autocharge.main import Autocharge
from tests.databases import MigratedDatabases, migrated_databases  # noqa: F401  (a fixture)
from tests.e2e.harness import TenantAccess, running, tenant_access, test_settings

CHROMIUM = os.environ.get("AUTOCHARGE_TEST_CHROMIUM", "/usr/bin/chromium")
# Debian's chromium, never a browser Playwright would download; no network use of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# One event loop for the whole folder, so that one chromium serves every test (launching one costs seconds);
# each test module says `pytestmark = UI_LOOP`; each test gets its own tenants and browser context.
UI_LOOP = pytest.mark.asyncio(loop_scope="session")
on_ui_loop = pytest_asyncio.fixture(loop_scope="session")


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def server(
    migrated_databases: MigratedDatabases,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Autocharge]:
    """One server and database for tests/ui (stopped after its last test): each test works in tenants and
    chargers of its own.
    """
    database_url = await migrated_databases.fresh(tmp_path_factory.mktemp("ui"))
    async with running(test_settings(database_url)) as app:
        yield app


_tenants = itertools.count(1)


@on_ui_loop
async def acme(server: Autocharge) -> TenantAccess:
    """A tenant of this test alone (named "Acme Fleet N"), with an ADMIN and a READ_ONLY key."""
    return await tenant_access(server, f"Acme Fleet {next(_tenants)}")


@on_ui_loop
async def globex(server: Autocharge) -> TenantAccess:
    return await tenant_access(server, f"Globex Charging {next(_tenants)}")


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does when missing)")


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@on_ui_loop
async def page(browser: Browser, server: Autocharge) -> AsyncIterator[Page]:
    """A fresh tab (1280 px wide) that fails the test on a script error, a request to another host, or anything
    the page's Content-Security-Policy blocked."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    tab = await context.new_page()
    script_errors: list[str] = []
    elsewhere: list[str] = []
    origin = urlsplit(server.api_url).netloc
    tab.on("pageerror", lambda error: script_errors.append(str(error)))
    tab.on("request", lambda request: urlsplit(request.url).netloc != origin and elsewhere.append(request.url))
    blocked: list[str] = []  # chromium reports each CSP violation on the console
    tab.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    yield tab
    await context.close()
    assert script_errors == [], "the UI threw"
    assert blocked == [], "the Content-Security-Policy blocked part of the UI"
    assert elsewhere == [], "the UI fetched from another host"
