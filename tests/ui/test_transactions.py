"""Transactions: live rows, Origin in words ("Auto charge", "RFID"), the hidden Vehicle column, the origin filter."""

from __future__ import annotations

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from autocharge.simulator import IdToken
from tests.e2e.harness import TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import a_cpid, a_user, row, signed_in

pytestmark = UI_LOOP

MAC = "0A1B2C3D4E5F"


async def test_sessions_appear_live_with_their_origin_and_the_vehicle_column_shows_the_plate(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await acme.admin.add_identifier(await acme.admin.add_vehicle(dana, "AB-123-CD"), f"VID:{MAC}")
    # A single-vehicle driver with a card: the RFID session is put on that vehicle.
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example", rfid="RFID-0001", plates=("XY-9",))
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await page.get_by_role("link", name="Transactions").click()
        await expect(page.get_by_text("No transactions yet.")).to_be_visible()

        await station.run_session(MAC, meter_values=3, energy_per_step_wh=1000)
        autocharged = row(page, "Dana Scully")
        await expect(autocharged).to_contain_text("Auto charge")  # live: no reload, no click
        await expect(autocharged).to_contain_text("Completed")
        await expect(autocharged).to_contain_text("3.00")
        await expect(autocharged).to_contain_text(f"Charger {cpid}")

        await station.run_session(IdToken("RFID-0001", "ISO14443"), meter_values=1)
        carded = row(page, "Fox Mulder")
        await expect(carded).to_contain_text("RFID")

        await expect(page.get_by_role("columnheader", name="Vehicle")).to_have_count(0)
        await page.get_by_role("button", name="Columns").click()
        await page.get_by_label("Vehicle").check()
        await expect(page.get_by_role("columnheader", name="Vehicle")).to_be_visible()
        await expect(autocharged).to_contain_text("AB123CD")
        await expect(carded).to_contain_text("XY9")

        await page.get_by_label("Origin").select_option(label="Auto charge")
        await expect(page.locator("tbody tr")).to_have_count(1)
        await expect(row(page, "Dana Scully")).to_be_visible()
        await page.get_by_label("Origin").select_option(label="Remote")
        await expect(page.get_by_text("No transactions with origin Remote.")).to_be_visible()
