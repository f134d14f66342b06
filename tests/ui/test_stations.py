"""Stations: live connection state, a station's connectors, Unrecognised identifiers (with the suggestion from an
RFID tap) and Real-Time Logs, and the first guide's manual story (an Authorize with an unknown VID: in the logs,
"Add to vehicle", then Accepted)."""

from __future__ import annotations

from uuid import UUID

from playwright.async_api import Page, expect

from autocharge.main import Autocharge
from autocharge.simulator import IdToken
from domain.events import CHARGERS_TOPIC, logs_topic
from tests.e2e.harness import TenantAccess, charger, subscribed
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import LOOKING_ONLY, a_cpid, a_user, button_names, row, signed_in

pytestmark = UI_LOOP

VID = "VID:0A1B2C3D4E5F"


async def open_station(page: Page, server: Autocharge, key: str, name: str) -> None:
    """Sign in, then Stations → the station's name."""
    await signed_in(page, server, key)
    await page.get_by_role("link", name="Stations").click()
    await page.get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", name="Real-Time Logs")).to_be_visible()


async def test_the_stations_table_shows_each_charger_and_its_connection_live(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await acme.admin.register_charger(a_cpid("PLAIN"), autocharge=False)
    await signed_in(page, server, acme.admin.key)
    await page.get_by_role("link", name="Stations").click()
    station_row = row(page, f"Charger {cpid}")
    await expect(station_row).to_contain_text("Never connected")
    await expect(page.locator("tbody tr")).to_have_count(2)
    await subscribed(server, acme.tenant, CHARGERS_TOPIC)

    async with charger(server, cpid) as station:
        await station.boot()
        await expect(station_row).to_contain_text("Connected")  # live: no reload
        await expect(station_row).to_contain_text("1.6")
        await expect(station_row).to_contain_text("Autocharge")
        await expect(station_row).to_contain_text("Simulator DC")
    await expect(station_row).to_contain_text("Disconnected")
    await expect(row(page, "PLAIN")).to_contain_text("No")


async def test_the_guide_s_manual_story_from_real_time_logs_to_an_accepted_authorize(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    charger_id = await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    async with charger(server, cpid) as station:
        await station.boot()
        await station.status(1, "Available")
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        logs = page.get_by_role("region", name="Real-Time Logs")
        await expect(logs.get_by_role("row").filter(has_text="BootNotification").first).to_be_visible()  # newest
        connectors = page.get_by_role("region", name="Connectors")
        await expect(connectors.get_by_role("row").filter(has_text="Available")).to_be_visible()
        await expect(page.get_by_text("No unknown vehicle has been plugged in here.")).to_be_visible()
        await subscribed(server, acme.tenant, logs_topic(UUID(charger_id)))

        assert await station.authorize(IdToken(VID)) != "Accepted"  # plugged in: the vehicle is unknown yet

        authorize = logs.get_by_role("row").filter(has_text=VID).filter(has_text="From station")
        await expect(authorize).to_contain_text("Authorize")  # live
        answers = logs.get_by_role("row").filter(has_text="To station").filter(has_text="Authorize")
        await expect(answers.filter(has_text="Invalid")).to_be_visible()
        unknown = page.get_by_role("region", name="Unrecognised identifiers").get_by_role("row").filter(has_text=VID)
        await expect(unknown).to_contain_text("0A:1B:2C:3D:4E:5F")  # reloaded once the Authorize was answered
        await authorize.get_by_role("button", name="Add to vehicle").click()
        dialog = page.get_by_role("dialog", name=f"Add {VID} to a vehicle")
        await dialog.get_by_label("Vehicle").select_option(label="AB123CD — Dana Scully")
        await dialog.get_by_role("button", name="Add to vehicle").click()

        await expect(page.get_by_role("status")).to_contain_text(f"{VID} now identifies AB123CD")
        await expect(unknown).to_have_count(0)
        assert await station.authorize(IdToken(VID)) == "Accepted"  # plugged in again
        await expect(answers.filter(has_text="Accepted")).to_be_visible()

    await page.get_by_role("link", name="Users").click()
    await row(page, "dana@acme.example").get_by_role("button", name="More actions").click()
    await page.get_by_role("link", name="Assets → Vehicles").click()
    await expect(row(page, "AB123CD")).to_contain_text(f"{VID} MAC 0A:1B:2C:3D:4E:5F")


async def test_an_unrecognised_identifier_of_the_station_is_added_to_a_vehicle(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    async with charger(server, cpid) as station:
        await station.boot()
        await station.authorize(IdToken(VID))
        await station.authorize(IdToken(VID))
    await open_station(page, server, acme.admin.key, f"Charger {cpid}")
    unknown = page.get_by_role("region", name="Unrecognised identifiers").get_by_role("row").filter(has_text=VID)
    await expect(unknown).to_contain_text("0A:1B:2C:3D:4E:5F")
    await expect(unknown).to_contain_text("2")  # times seen

    await unknown.get_by_role("button", name="Add to vehicle").click()
    dialog = page.get_by_role("dialog", name=f"Add {VID} to a vehicle")
    await expect(dialog.get_by_role("option", selected=True)).to_have_text("AB123CD — Dana Scully")  # loaded
    await dialog.get_by_role("button", name="Add to vehicle").click()  # the only vehicle, chosen already

    await expect(page.get_by_role("status")).to_contain_text(f"{VID} now identifies AB123CD")
    await expect(unknown).to_have_count(0)


async def test_a_card_tapped_after_a_rejected_vehicle_suggests_its_driver_and_add_to_vehicle_preselects_the_car(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example", plates=("AB-123-CD",))  # first in the list
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="CARD-0042")
    new_car = await acme.admin.add_vehicle(dana, "NEW-1")
    async with charger(server, cpid) as station:
        await station.boot()
        assert await station.authorize(IdToken(VID)) != "Accepted"  # Dana's new car, plugged in: unknown
        assert await station.authorize(IdToken("CARD-0042")) == "Accepted"  # so she taps her card
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")

        unknown = page.get_by_role("region", name="Unrecognised identifiers").get_by_role("row").filter(has_text=VID)
        await expect(unknown).to_contain_text("Dana Scully — NEW1")
        await expect(page.get_by_role("region", name="Unrecognised identifiers")).to_contain_text(
            "Nothing is paired until you add it."
        )
        assert await station.authorize(IdToken(VID)) != "Accepted"  # a suggestion pairs nothing by itself

        from_logs = row(page, VID).filter(has_text="From station").first  # the logs' Add to vehicle suggests too
        await from_logs.get_by_role("button", name="Add to vehicle").click()
        dialog = page.get_by_role("dialog", name=f"Add {VID} to a vehicle")
        await expect(dialog.get_by_label("Vehicle")).to_have_value(new_car)
        await dialog.get_by_role("button", name="Close").click()

        await unknown.get_by_role("button", name="Add to vehicle").click()
        await expect(dialog).to_contain_text("Suggested: Dana Scully — NEW1.")
        await expect(dialog.get_by_label("Vehicle")).to_have_value(new_car)  # preselected: the admin confirms
        await expect(dialog.get_by_role("option", selected=True)).to_have_text("NEW1 — Dana Scully (suggested)")
        await dialog.get_by_role("button", name="Add to vehicle").click()

        await expect(page.get_by_role("status")).to_contain_text(f"{VID} now identifies NEW1")
        await expect(unknown).to_have_count(0)
        assert await station.authorize(IdToken(VID)) == "Accepted"

    await page.get_by_role("link", name="Vehicles", exact=True).click()
    await expect(row(page, "NEW1")).to_contain_text(f"{VID} MAC 0A:1B:2C:3D:4E:5F")
    await expect(row(page, "AB123CD")).to_contain_text("none")


async def test_a_driver_with_two_vehicles_to_pair_is_suggested_without_choosing_a_car(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="CARD-0042", plates=("NEW-1", "NEW-2"))
    async with charger(server, cpid) as station:
        await station.boot()
        await station.authorize(IdToken(VID))
        await station.authorize(IdToken("CARD-0042"))
    await open_station(page, server, acme.admin.key, f"Charger {cpid}")

    unknown = page.get_by_role("region", name="Unrecognised identifiers").get_by_role("row").filter(has_text=VID)
    await expect(unknown).to_contain_text("Dana Scully (no single vehicle without an identifier)")
    await unknown.get_by_role("button", name="Add to vehicle").click()
    dialog = page.get_by_role("dialog", name=f"Add {VID} to a vehicle")
    await expect(dialog).to_contain_text("Suggested: Dana Scully (no single vehicle without an identifier).")
    await expect(dialog.get_by_role("option")).to_have_count(2)  # loaded: her two cars
    await expect(dialog.get_by_role("option", name="(suggested)")).to_have_count(0)


async def test_add_to_vehicle_of_a_token_many_cars_share_shows_the_api_s_refusal_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    shared = "VID:000000000000"
    async with charger(server, cpid) as station:
        await station.boot()
        assert await station.authorize(IdToken(shared)) == "Invalid"
    await open_station(page, server, acme.admin.key, f"Charger {cpid}")
    await expect(page.get_by_text("No unknown vehicle has been plugged in here.")).to_be_visible()  # never listed

    await row(page, shared).filter(has_text="From station").get_by_role("button", name="Add to vehicle").click()
    dialog = page.get_by_role("dialog", name=f"Add {shared} to a vehicle")
    await dialog.get_by_label("Vehicle").select_option(label="AB123CD — Dana Scully")
    await dialog.get_by_role("button", name="Add to vehicle").click()

    refused = dialog.get_by_role("alert")
    await expect(refused).to_contain_text(f"{shared} cannot identify one vehicle: all bytes are zero")
    await expect(refused).to_contain_text("(VALIDATION)")
    await dialog.get_by_role("button", name="Close").click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    await expect(page.get_by_text("now identifies")).to_have_count(0)


async def test_on_ocpp_2_0_1_an_authorize_with_a_mac_address_token_offers_add_to_vehicle_and_a_card_does_not(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    charger_id = await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid, version="2.0.1") as station:
        await station.boot()
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        await subscribed(server, acme.tenant, logs_topic(UUID(charger_id)))

        await station.authorize(IdToken("RFID-0001", "ISO14443"))
        await station.authorize(IdToken("0A1B2C3D4E5F", "MacAddress"))

        card = row(page, "RFID-0001").filter(has_text="From station")
        vehicle = row(page, "MacAddress").filter(has_text="From station")
        await expect(vehicle).to_contain_text("Authorize")
        await expect(card).to_contain_text("Authorize")
        await expect(card.get_by_role("button", name="Add to vehicle")).to_have_count(0)
        await vehicle.get_by_role("button", name="Add to vehicle").click()
        await expect(page.get_by_role("dialog", name="Add 0A1B2C3D4E5F to a vehicle")).to_contain_text(
            "No active vehicle yet"
        )


async def test_the_logs_filter_by_action_pause_resume_and_page_back(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    charger_id = await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid) as station:
        await station.boot()
        for _ in range(30):  # 60 frames: more than a page
            await station.heartbeat()
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        frames = page.get_by_role("region", name="Real-Time Logs").locator("tbody tr")
        await expect(frames).to_have_count(50)
        await expect(row(page, "BootNotification")).to_have_count(0)
        await page.get_by_role("button", name="Older frames").click()
        await expect(frames).to_have_count(62)  # the boot and its answer, the oldest
        await expect(row(page, "BootNotification")).to_have_count(2)
        await expect(page.get_by_role("button", name="Older frames")).to_have_count(0)

        await page.get_by_label("Action").select_option("BootNotification")
        await expect(frames).to_have_count(2)
        await subscribed(server, acme.tenant, logs_topic(UUID(charger_id)))
        await station.heartbeat()  # another action: not shown
        await station.status(1, "Available")
        await page.get_by_label("Action").select_option("StatusNotification")
        await expect(frames).to_have_count(2)

        await page.get_by_role("button", name="Pause").click()
        await station.status(1, "Preparing")
        await expect(page.get_by_role("status")).to_have_text("Paused: 2 new frames held until Resume.")
        await expect(frames).to_have_count(2)
        await page.get_by_role("button", name="Resume").click()
        await expect(frames).to_have_count(4)
        await expect(frames.first).to_contain_text("To station")  # newest first


async def test_a_read_only_key_sees_stations_and_logs_without_add_to_vehicle(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    dana = await a_user(acme.admin, "Dana Scully", "dana@acme.example", rfid="CARD-0042")
    await acme.admin.add_vehicle(dana, "NEW-1")
    async with charger(server, cpid) as station:
        await station.boot()
        await station.authorize(IdToken(VID))
        await station.authorize(IdToken("CARD-0042"))
    await open_station(page, server, acme.read_only.key, f"Charger {cpid}")

    await expect(row(page, VID).first).to_contain_text("Dana Scully — NEW1")  # the suggestion, to read only
    await expect(row(page, "Authorize").first).to_be_visible()
    await expect(page.get_by_role("button", name="Add to vehicle")).to_have_count(0)
    assert await button_names(page) <= LOOKING_ONLY


async def test_another_tenant_s_stations_are_never_shown(
    page: Page, server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    ours, theirs = a_cpid("ACME"), a_cpid("GLOBEX")
    await acme.admin.register_charger(ours, autocharge=True)
    stranger = await globex.admin.register_charger(theirs, autocharge=True)
    async with charger(server, theirs) as station:
        await station.boot()
        await station.authorize(IdToken(VID))
    await signed_in(page, server, acme.admin.key)
    await page.get_by_role("link", name="Stations").click()
    await expect(row(page, ours)).to_be_visible()
    await expect(page.locator("tbody tr")).to_have_count(1)

    await page.goto(f"{server.api_url}/#/stations/{stranger}")  # a guessed or shared link
    await expect(page.get_by_role("alert").first).to_contain_text("NOT_FOUND")
    await expect(page.get_by_text(theirs)).to_have_count(0)
    await expect(page.get_by_text(VID)).to_have_count(0)
