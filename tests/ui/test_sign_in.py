"""Sign in: the key pasted once, kept in sessionStorage only; the header shows tenant and role; errors in words."""

from __future__ import annotations

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import sign_in, signed_in

pytestmark = UI_LOOP


async def test_signing_in_shows_the_tenant_and_role_and_keeps_the_key_for_the_tab_only(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda socket: urls.append(socket.url))
    await signed_in(page, server, acme.admin.key)

    header = page.get_by_role("banner")
    await expect(header).to_contain_text(acme.tenant.name)
    await expect(header).to_contain_text("Admin")
    assert await page.evaluate("sessionStorage.getItem('autocharge.apiKey')") == acme.admin.key
    assert await page.evaluate("localStorage.length") == 0

    await page.reload()  # the same tab's session: no second paste
    await expect(page.get_by_role("banner")).to_contain_text(acme.tenant.name)
    await page.get_by_role("link", name="Transactions").click()  # opens the live subscription's websocket
    await expect(page.get_by_text("No transactions yet.")).to_be_visible()
    assert any(url.startswith("ws://") for url in urls)
    assert [url for url in urls if acme.admin.key in url] == []  # never in a URL, not even the websocket's

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('autocharge.apiKey')") is None


async def test_a_wrong_key_is_refused_in_words_and_not_kept(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    await sign_in(page, server, "ak_not-a-real-key")

    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("UNAUTHENTICATED")
    assert (await alert.inner_text()).split("(")[0].strip() != ""  # a message before the code
    await expect(page.get_by_role("banner")).to_have_count(0)
    assert await page.evaluate("sessionStorage.getItem('autocharge.apiKey')") is None
