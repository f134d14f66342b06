"""Vehicles (tenant-wide): every vehicle with its user, identifier and status; per vehicle its charging summary, its
energy per day and its transactions, live."""

from __future__ import annotations

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from autocharge.simulator import IdToken
from domain.events import TRANSACTIONS_TOPIC
from tests.e2e.harness import TenantAccess, charger, subscribed
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import LOOKING_ONLY, a_cpid, a_user, button_names, row, signed_in

pytestmark = UI_LOOP

MAC = "0A1B2C3D4E5F"


async def open_vehicles(page: Page, server: Autocharge, key: str) -> None:
    await signed_in(page, server, key)
    await page.get_by_role("link", name="Vehicles", exact=True).click()
    await expect(page.get_by_role("heading", name="Vehicles", exact=True)).to_be_visible()


async def test_every_vehicle_of_the_tenant_with_its_user_identifier_and_status_and_none_of_another(
    page: Page, server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await acme.admin.add_identifier(await acme.admin.add_vehicle(dana, "AB-123-CD"), f"VID:{MAC}")
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example", plates=("XY-9",))
    await a_user(globex.admin, "Walter Skinner", "walter@globex.example", plates=("GLO-1",))

    await open_vehicles(page, server, acme.admin.key)

    await expect(page.locator("tbody tr")).to_have_count(2)
    await expect(row(page, "AB123CD")).to_contain_text("Dana Scully")
    await expect(row(page, "AB123CD")).to_contain_text(f"VID:{MAC} MAC 0A:1B:2C:3D:4E:5F")
    await expect(row(page, "AB123CD")).to_contain_text("Active")
    await expect(row(page, "XY9")).to_contain_text("Fox Mulder")
    await expect(row(page, "XY9")).to_contain_text("none")
    await expect(page.get_by_text("GLO1")).to_have_count(0)

    await page.get_by_label("Search").fill("XY")
    await expect(page.locator("tbody tr")).to_have_count(1)
    await page.get_by_label("Search").fill("ZZZ")
    await expect(page.get_by_text("No vehicle matches “ZZZ”.")).to_be_visible()


async def test_a_vehicle_s_summary_energy_per_day_and_transactions_follow_its_sessions_live(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="RFID-0001")
    await acme.admin.add_identifier(await acme.admin.add_vehicle(dana, "AB-123-CD"), f"VID:{MAC}")
    async with charger(server, cpid) as station:
        await station.boot()
        await station.run_session(MAC, meter_values=3, energy_per_step_wh=1000)
        await open_vehicles(page, server, acme.admin.key)
        await row(page, "AB123CD").get_by_role("link", name="AB123CD").click()

        await expect(page.get_by_role("heading", name="AB123CD")).to_be_visible()
        summary = page.get_by_role("region", name="Charging summary")
        await expect(summary).to_contain_text("Sessions1")
        await expect(summary).to_contain_text("Auto charge sessions1")
        await expect(summary).to_contain_text("Energy (kWh)3.00")
        chart = page.get_by_role("figure", name="Energy per day (kWh), last 30 days")
        await expect(chart.locator("canvas")).to_have_count(1)  # uPlot drew it
        today = await page.evaluate("new Date().toLocaleDateString('en-CA')")
        await expect(chart.get_by_role("row").filter(has_text=today)).to_contain_text("3.00")
        transactions = page.get_by_role("region", name="Transactions")
        await expect(transactions.locator("tbody tr")).to_have_count(1)
        await expect(transactions.locator("tbody tr")).to_contain_text("Auto charge")

        await subscribed(server, acme.tenant, TRANSACTIONS_TOPIC)
        await station.run_session(IdToken("RFID-0001", "ISO14443"), meter_values=2, energy_per_step_wh=500)

        await expect(transactions.locator("tbody tr")).to_have_count(2)  # live: the only vehicle of the card's user
        await expect(summary).to_contain_text("Sessions2")
        await expect(summary).to_contain_text("Auto charge sessions1")
        await expect(chart.get_by_role("row").filter(has_text=today)).to_contain_text("4.00")


async def test_another_tenant_s_vehicle_is_not_found(
    page: Page, server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    stranger = await a_user(globex.admin, "Walter Skinner", "walter@globex.example")
    vehicle = await globex.admin.add_vehicle(stranger, "GLO-1")
    await signed_in(page, server, acme.admin.key)

    await page.goto(f"{server.api_url}/#/vehicles/{vehicle}")  # a guessed or shared link

    await expect(page.get_by_role("alert")).to_contain_text("NOT_FOUND")
    await expect(page.get_by_text("GLO1")).to_have_count(0)


async def test_a_read_only_key_sees_vehicles_and_a_vehicle_without_a_button_that_changes_anything(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    await open_vehicles(page, server, acme.read_only.key)
    await expect(row(page, "AB123CD")).to_contain_text("Dana Scully")
    assert await button_names(page) <= LOOKING_ONLY

    await row(page, "AB123CD").get_by_role("link", name="AB123CD").click()
    await expect(page.get_by_text("This vehicle has not charged yet.")).to_be_visible()
    await expect(page.get_by_role("region", name="Charging summary")).to_contain_text("Sessions0")
    assert await button_names(page) <= LOOKING_ONLY
