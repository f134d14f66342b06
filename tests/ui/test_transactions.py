"""Transactions: live rows, Origin in words ("Auto charge", "RFID"), the hidden Vehicle column, the filters and the
CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from playwright.async_api import Page, Route, expect

from autocharge.main import Autocharge
from autocharge.simulator import IdToken
from tests.e2e.harness import TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import LOOKING_ONLY, a_cpid, a_user, button_names, row, signed_in

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
        await page.get_by_role("group", name="Show columns").get_by_label("Vehicle").check()
        await expect(page.get_by_role("columnheader", name="Vehicle")).to_be_visible()
        await expect(autocharged).to_contain_text("AB123CD")
        await expect(carded).to_contain_text("XY9")

        await page.get_by_label("Origin").select_option(label="Auto charge")
        await expect(page.locator("tbody tr")).to_have_count(1)
        await expect(row(page, "Dana Scully")).to_be_visible()
        await page.get_by_label("Origin").select_option(label="Remote")
        await expect(page.get_by_text("No transactions with origin Remote.")).to_be_visible()


async def two_drivers_charged(server: Autocharge, acme: TenantAccess) -> str:
    """Dana's car autocharged at one station, Fox's card at another; the first station's name."""
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await acme.admin.add_identifier(await acme.admin.add_vehicle(dana, "AB-123-CD"), f"VID:{MAC}")
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example", rfid="RFID-0001", plates=("XY-9",))
    first, second = a_cpid("NORTH"), a_cpid("SOUTH")
    for cpid, token in ((first, MAC), (second, IdToken("RFID-0001", "ISO14443"))):
        await acme.admin.register_charger(cpid, autocharge=True)
        async with charger(server, cpid) as station:
            await station.boot()
            await station.run_session(token, meter_values=2)
    return f"Charger {first}"


async def test_the_filters_narrow_the_table_by_vehicle_user_station_and_dates(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    north = await two_drivers_charged(server, acme)
    await signed_in(page, server, acme.admin.key)
    await page.get_by_role("link", name="Transactions").click()
    rows = page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    filters = page.get_by_role("search", name="Filter transactions")

    await filters.get_by_label("Vehicle").select_option(label="AB123CD")
    await expect(rows).to_have_count(1)
    await expect(row(page, "Dana Scully")).to_contain_text(north)
    await filters.get_by_role("button", name="Clear filters").click()
    await expect(rows).to_have_count(2)

    await filters.get_by_label("User").select_option(label="Fox Mulder")
    await expect(rows).to_have_count(1)
    await expect(row(page, "Fox Mulder")).to_contain_text("RFID")
    await filters.get_by_label("Station").select_option(label=north)
    await expect(page.get_by_text("No transactions match these filters.")).to_be_visible()
    await filters.get_by_label("User").select_option(label="All")
    await expect(rows).to_have_count(1)
    await expect(row(page, "Dana Scully")).to_be_visible()
    await filters.get_by_role("button", name="Clear filters").click()

    today = date.fromisoformat(await page.evaluate("new Date().toLocaleDateString('en-CA')"))  # the browser's day
    await filters.get_by_label("From").fill((today + timedelta(days=1)).isoformat())
    await expect(page.get_by_text("No transactions match these filters.")).to_be_visible()
    await filters.get_by_label("From").fill(today.isoformat())
    await filters.get_by_label("To", exact=True).fill(today.isoformat())  # the whole day, included
    await expect(rows).to_have_count(2)
    await filters.get_by_label("To", exact=True).fill((today - timedelta(days=1)).isoformat())
    await expect(page.get_by_text("No transactions match these filters.")).to_be_visible()


async def test_export_downloads_the_csv_with_the_key_in_a_header_never_in_a_url(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await two_drivers_charged(server, acme)
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    await signed_in(page, server, acme.read_only.key)  # exporting changes nothing: READ_ONLY may
    await page.get_by_role("link", name="Transactions").click()
    await expect(page.locator("tbody tr")).to_have_count(2)

    async with page.expect_download() as everything:
        await page.get_by_role("button", name="Export CSV").click()
    download = await everything.value
    assert download.suggested_filename == "transactions.csv"
    table = list(csv.DictReader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
    assert sorted(line["user_email"] for line in table) == ["dana@acme.example", "fox@acme.example"]

    filters = page.get_by_role("search", name="Filter transactions")
    await filters.get_by_label("Vehicle").select_option(label="AB123CD")
    await expect(page.locator("tbody tr")).to_have_count(1)
    async with page.expect_download() as one_vehicle:
        await page.get_by_role("button", name="Export CSV").click()
    lines = list(csv.DictReader(io.StringIO((await (await one_vehicle.value).path()).read_text(encoding="utf-8"))))
    assert [(line["license_plate"], line["origin"]) for line in lines] == [("AB123CD", "AUTOCHARGE")]

    assert await button_names(page) <= LOOKING_ONLY
    assert any("/exports/transactions.csv" in url for url in urls)
    assert not [url for url in urls if acme.read_only.key in url]


async def test_a_refused_export_is_explained_in_words(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    await signed_in(page, server, acme.admin.key)
    await page.get_by_role("link", name="Transactions").click()

    async def refuse(route: Route) -> None:
        body = '{"error": {"code": "RATE_LIMITED", "message": "too many requests for this API key"}}'
        await route.fulfill(status=429, content_type="application/json", body=body)

    await page.route("**/exports/transactions.csv*", refuse)
    await page.get_by_role("button", name="Export CSV").click()

    await expect(page.get_by_role("alert")).to_have_text("too many requests for this API key (RATE_LIMITED)")
