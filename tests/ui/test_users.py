"""Users: the table (Name, Email, RFID tags; Vehicles behind the Columns menu), search, paging, Create user."""

from __future__ import annotations

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import a_user, column_headers, row, signed_in

pytestmark = UI_LOOP


async def test_the_users_table_hides_the_vehicles_column_until_the_columns_menu_shows_it(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="RFID-0001", plates=("AB-123-CD", "XY-9"))

    await signed_in(page, server, acme.admin.key)
    dana = row(page, "dana@acme.example")
    await expect(dana).to_contain_text("Dana Scully")
    await expect(dana).to_contain_text("RFID-0001")
    await expect(column_headers(page)).to_contain_text(["Name", "Email", "RFID tags"])
    await expect(page.get_by_role("columnheader", name="Vehicles")).to_have_count(0)
    await expect(dana).not_to_contain_text("AB123CD")

    await page.get_by_role("button", name="Columns").click()
    await page.get_by_label("Vehicles").check()

    await expect(page.get_by_role("columnheader", name="Vehicles")).to_be_visible()
    await expect(dana).to_contain_text("AB123CD, XY9")


async def test_search_narrows_the_table_and_says_when_nothing_matches(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example")
    await signed_in(page, server, acme.admin.key)
    await expect(row(page, "fox@acme.example")).to_be_visible()

    await page.get_by_label("Search").fill("scul")

    await expect(row(page, "fox@acme.example")).to_have_count(0)
    await expect(row(page, "dana@acme.example")).to_be_visible()

    await page.get_by_label("Search").fill("nobody-here")
    await expect(page.get_by_text("No user matches “nobody-here”.")).to_be_visible()


async def test_paging_moves_through_the_users_page_by_page(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    for number in range(11):
        await a_user(acme.admin, f"Driver {number:02}", f"driver{number:02}@acme.example")
    await signed_in(page, server, acme.admin.key)
    body_rows = page.locator("tbody tr")

    await page.get_by_label("Rows per page").select_option("10")
    await expect(body_rows).to_have_count(10)
    await expect(page.get_by_text("Page 1 · 11 users")).to_be_visible()
    await expect(page.get_by_role("button", name="Previous page")).to_be_disabled()

    await page.get_by_role("button", name="Next page").click()
    await expect(body_rows).to_have_count(1)
    await expect(page.get_by_role("button", name="Next page")).to_be_disabled()

    await page.get_by_role("button", name="Previous page").click()
    await expect(body_rows).to_have_count(10)


async def test_an_empty_tenant_says_so_and_create_user_adds_a_row_and_a_refusal_is_shown_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await signed_in(page, server, acme.admin.key)
    await expect(page.get_by_text("No users yet.")).to_be_visible()

    await page.get_by_role("button", name="Create user").click()
    dialog = page.get_by_role("dialog", name="Create user")
    await dialog.get_by_label("Name").fill("Dana Scully")
    await dialog.get_by_label("Email").fill("dana@acme.example")
    await dialog.get_by_role("button", name="Save").click()
    await expect(row(page, "dana@acme.example")).to_contain_text("Dana Scully")
    await expect(dialog).to_have_count(0)

    await page.get_by_role("button", name="Create user").click()
    await dialog.get_by_label("Name").fill("Another Dana")
    await dialog.get_by_label("Email").fill("dana@acme.example")
    await dialog.get_by_role("button", name="Save").click()

    alert = dialog.get_by_role("alert")
    await expect(alert).to_contain_text("already exists")
    await expect(alert).to_contain_text("CONFLICT")
    await expect(dialog.get_by_label("Name")).to_have_value("Another Dana")  # what was typed is kept
