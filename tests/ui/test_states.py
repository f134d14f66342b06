"""Loading and error states in words, and the screens at 390 px wide (with the keyboard alone for the guide's story)."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, Route, expect

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import a_cpid, a_user, row, signed_in

pytestmark = UI_LOOP


async def test_a_list_shows_loading_until_the_api_answers(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await signed_in(page, server, acme.admin.key)
    release = asyncio.Event()

    async def hold_users_queries(route: Route) -> None:
        if '"operationName":"Users"' in (route.request.post_data or ""):
            await release.wait()  # the real API answers, only later
        await route.continue_()

    await page.route("**/graphql", hold_users_queries)
    await page.get_by_label("Search").fill("dana")

    await expect(page.get_by_role("status")).to_have_text("Loading users…")
    release.set()
    await expect(page.get_by_role("status")).to_have_count(0)
    await expect(row(page, "dana@acme.example")).to_be_visible()


async def test_an_api_error_on_a_screen_is_shown_with_its_code(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await signed_in(page, server, acme.admin.key)

    await page.goto(f"{server.api_url}/#/users/not-an-id/vehicles")

    alert = page.get_by_role("alert")
    await expect(alert).to_be_visible()
    assert "(" in await alert.inner_text()  # "message (CODE)"
    await expect(alert).to_contain_text("not-an-id")


async def test_at_390_px_the_keyboard_alone_reaches_a_user_s_vehicles_and_adds_one(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await page.set_viewport_size({"width": 390, "height": 800})
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="RFID-0001")
    await page.goto(f"{server.api_url}/")
    await page.get_by_label("API key").focus()
    await page.keyboard.type(acme.admin.key)
    await page.keyboard.press("Enter")
    await expect(row(page, "dana@acme.example")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # the table scrolls, not the page

    await row(page, "dana@acme.example").get_by_role("button", name="More actions").focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")  # the menu's first item: Assets → Vehicles
    await expect(page.get_by_role("heading", name="Vehicles of Dana Scully")).to_be_visible()

    await page.get_by_role("button", name="Add Vehicle").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_label("License plate")).to_be_focused()  # the dialog takes the focus
    await page.keyboard.type("AB-123-CD")
    await page.keyboard.press("Enter")
    await expect(row(page, "AB123CD")).to_be_visible()
    await page.keyboard.press("Escape")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390


async def fits_390(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= 390"))  # tables scroll, not the page


async def test_at_390_px_the_vehicles_stations_and_transactions_screens_fit_the_width(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await page.set_viewport_size({"width": 390, "height": 800})
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await acme.admin.add_identifier(await acme.admin.add_vehicle(dana, "AB-123-CD"), "VID:0A1B2C3D4E5F")
    async with charger(server, cpid) as station:
        await station.boot()
        await station.run_session("0A1B2C3D4E5F", meter_values=1)
    await signed_in(page, server, acme.admin.key)

    for screen, shown in [("Vehicles", "AB123CD"), ("Stations", cpid), ("Transactions", "Dana Scully")]:
        await page.get_by_role("link", name=screen, exact=True).click()
        await expect(row(page, shown)).to_be_visible()
        assert await fits_390(page), screen
    await page.get_by_role("link", name="Stations", exact=True).click()
    await page.get_by_role("link", name=f"Charger {cpid}").click()
    await expect(page.get_by_role("region", name="Real-Time Logs").locator("tbody tr").first).to_be_visible()
    assert await fits_390(page), "a station"
    await page.get_by_role("link", name="Vehicles", exact=True).click()
    await page.get_by_role("link", name="AB123CD").click()
    await expect(
        page.get_by_role("figure", name="Energy per day (kWh), last 30 days").locator("canvas")
    ).to_be_visible()
    assert await fits_390(page), "a vehicle"
