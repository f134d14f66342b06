"""What a key may see: a READ_ONLY key gets no button that changes anything; another tenant's data never shows."""

from __future__ import annotations

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import LOOKING_ONLY, a_cpid, a_user, button_names, row, signed_in

pytestmark = UI_LOOP


async def test_a_read_only_key_sees_the_data_without_any_button_that_changes_it(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    await signed_in(page, server, acme.read_only.key)

    await expect(page.get_by_role("banner")).to_contain_text("Read only")
    await expect(row(page, "dana@acme.example")).to_be_visible()
    assert await button_names(page) <= LOOKING_ONLY
    await expect(page.get_by_role("button", name="Create user")).to_have_count(0)

    await row(page, "dana@acme.example").get_by_role("button", name="More actions").click()
    await page.get_by_role("link", name="Assets → Vehicles").click()
    await expect(row(page, "AB123CD")).to_contain_text("Active")
    assert await button_names(page) <= LOOKING_ONLY
    for mutating in ["Add Vehicle", "Pair", "Add identifier", "Retire"]:
        await expect(page.get_by_role("button", name=mutating)).to_have_count(0)


async def test_another_tenant_s_users_vehicles_and_chargers_are_never_shown(
    page: Page, server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    stranger = await a_user(globex.admin, "Walter Skinner", "walter@globex.example", plates=("GLO-1",))
    cpid = a_cpid("GLOBEX")
    await globex.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await expect(row(page, "dana@acme.example")).to_be_visible()
        await expect(page.locator("tbody tr")).to_have_count(1)
        await page.get_by_role("button", name="Columns").click()
        await page.get_by_label("Vehicles").check()
        await expect(row(page, "dana@acme.example")).to_contain_text("AB123CD")
        await expect(page.get_by_text("walter@globex.example")).to_have_count(0)
        await expect(page.get_by_text("GLO1")).to_have_count(0)

        await page.goto(f"{server.api_url}/#/users/{stranger}/vehicles")  # a guessed or shared link
        await expect(page.get_by_role("alert")).to_contain_text("NOT_FOUND")
        await expect(page.get_by_text("Walter Skinner")).to_have_count(0)
        await expect(page.get_by_text("GLO1")).to_have_count(0)

        await page.goto(f"{server.api_url}/#/users")
        await row(page, "dana@acme.example").get_by_role("button", name="More actions").click()
        await page.get_by_role("link", name="Assets → Vehicles").click()
        await row(page, "AB123CD").get_by_role("button", name="Pair").click()
        await expect(page.get_by_role("dialog")).to_contain_text("No charger is connected and Autocharge capable")
