"""A user's Vehicles: the guide's story from the Users table to a vehicle paired live, and the other actions."""

from __future__ import annotations

import json
import re

from playwright.async_api import Page, Route, expect

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.ui import a_cpid, a_user, is_on_top, row, signed_in

pytestmark = UI_LOOP

MAC = "0A1B2C3D4E5F"
VID = "VID:0A1B2C3D4E5F"


async def open_vehicles_of(page: Page, email: str) -> None:
    """Users → More actions (on the user's row) → Assets → Vehicles."""
    await row(page, email).get_by_role("button", name="More actions").click()
    vehicles = row(page, email).get_by_role("link", name="Assets → Vehicles")
    assert await is_on_top(vehicles), "the menu is clipped or covered"
    await vehicles.click()
    await expect(page.get_by_role("heading", name=re.compile(r"^Vehicles of "))).to_be_visible()


async def test_users_more_actions_vehicles_add_vehicle_pair_and_see_paired_live(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)

        await open_vehicles_of(page, "dana@acme.example")
        await expect(page.get_by_text("No vehicles yet.")).to_be_visible()
        await page.get_by_role("button", name="Add Vehicle").click()
        add = page.get_by_role("dialog", name="Add Vehicle")
        await add.get_by_label("License plate").fill("AB-123-CD")
        await add.get_by_label("Make").fill("Tesla")
        await add.get_by_label("Model").fill("Model 3")
        await add.get_by_role("button", name="Save").click()
        car = row(page, "AB123CD")
        await expect(car).to_contain_text("Tesla")
        await expect(car).to_contain_text("Model 3")
        await expect(car).to_contain_text("Active")

        await car.get_by_role("button", name="Pair").click()
        pair = page.get_by_role("dialog", name="Pair AB123CD")
        choices = pair.get_by_label("Charger").locator("option")
        await expect(choices).to_have_text([re.compile(rf"^Charger {cpid} \({cpid}\)")])
        await pair.get_by_role("button", name="Start pairing").click()
        await expect(pair.get_by_text("Waiting for vehicle")).to_be_visible()
        # The charger's name comes with pairingProgress's first event: the subscription is live from here.
        await expect(pair.get_by_text(f"Plug the vehicle into Charger {cpid} now.")).to_be_visible()
        await expect(pair.locator(".countdown")).to_have_text(re.compile(r"^4:5\d$|^5:00$"))
        await expect(pair.get_by_role("button", name="Cancel")).to_be_visible()

        await station.run_session(MAC)

        await expect(pair.get_by_text("Paired", exact=True)).to_be_visible()
        await expect(pair).to_contain_text(VID)
        await expect(pair.get_by_role("button", name="Cancel")).to_have_count(0)
        await pair.get_by_role("button", name="Close").click()
        await expect(car).to_contain_text(f"{VID} MAC 0A:1B:2C:3D:4E:5F")


async def test_cancel_while_waiting_ends_the_pairing(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await open_vehicles_of(page, "dana@acme.example")
        await row(page, "AB123CD").get_by_role("button", name="Pair").click()
        pair = page.get_by_role("dialog", name="Pair AB123CD")
        await pair.get_by_role("button", name="Start pairing").click()
        await expect(pair.get_by_text("Waiting for vehicle")).to_be_visible()

        await pair.get_by_role("button", name="Cancel").click()

        await expect(pair.get_by_text("Cancelled", exact=True)).to_be_visible()
        await expect(pair.get_by_role("button", name="Cancel")).to_have_count(0)


async def test_a_failed_pairing_gives_the_reason_in_words(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    other = await acme.admin.add_vehicle(await a_user(acme.admin, "Fox Mulder", "fox@acme.example"), "ZZ-1")
    await acme.admin.add_identifier(other, VID)  # the modem is already on another car
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await open_vehicles_of(page, "dana@acme.example")
        await row(page, "AB123CD").get_by_role("button", name="Pair").click()
        pair = page.get_by_role("dialog", name="Pair AB123CD")
        await pair.get_by_role("button", name="Start pairing").click()
        await expect(pair.get_by_text(f"Plug the vehicle into Charger {cpid} now.")).to_be_visible()

        await station.run_session(MAC)

        await expect(pair.get_by_text("Failed", exact=True)).to_be_visible()
        await expect(pair).to_contain_text("already belongs to another vehicle")


async def test_a_pairing_that_captures_an_identifier_many_cars_share_fails_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await open_vehicles_of(page, "dana@acme.example")
        await row(page, "AB123CD").get_by_role("button", name="Pair").click()
        pair = page.get_by_role("dialog", name="Pair AB123CD")
        await pair.get_by_role("button", name="Start pairing").click()
        await expect(pair.get_by_text(f"Plug the vehicle into Charger {cpid} now.")).to_be_visible()

        await station.run_session("000000000000")  # a modem that gave no EVCCID of its own

        await expect(pair.get_by_text("Failed", exact=True)).to_be_visible()
        await expect(pair).to_contain_text("an identifier that many vehicles share")


async def test_pair_lists_only_connected_autocharge_chargers_and_says_when_there_is_none(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger(a_cpid("OFF"), autocharge=True)  # never connects
    plain = a_cpid("PLAIN")
    await acme.admin.register_charger(plain, autocharge=False)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    async with charger(server, plain) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await open_vehicles_of(page, "dana@acme.example")

        await row(page, "AB123CD").get_by_role("button", name="Pair").click()

        pair = page.get_by_role("dialog", name="Pair AB123CD")
        await expect(pair).to_contain_text("No charger is connected and Autocharge capable right now")
        await expect(pair.get_by_role("button", name="Start pairing")).to_have_count(0)


async def test_add_identifier_by_hand_and_retire_a_replaced_car(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    await signed_in(page, server, acme.admin.key)
    await open_vehicles_of(page, "dana@acme.example")
    car = row(page, "AB123CD")

    await car.get_by_role("button", name="Add identifier").click()
    add = page.get_by_role("dialog", name="Add identifier to AB123CD")
    await add.get_by_label("Identifier").fill("0a-1b-2c-3d-4e-5f")
    await add.get_by_role("button", name="Save").click()
    await expect(car).to_contain_text(f"{VID} MAC 0A:1B:2C:3D:4E:5F")

    await car.get_by_role("button", name="Retire").click()
    retire = page.get_by_role("dialog", name="Retire AB123CD?")
    await expect(retire).to_contain_text("stay on record")
    await expect(retire).to_contain_text("no longer authorises")
    await retire.get_by_role("button", name="Retire").click()

    await expect(car).to_contain_text("Retired")
    await expect(car.get_by_role("button")).to_have_count(0)


async def test_an_identifier_many_cars_share_is_refused_with_the_api_s_reason_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))
    await signed_in(page, server, acme.admin.key)
    await open_vehicles_of(page, "dana@acme.example")
    car = row(page, "AB123CD")
    await car.get_by_role("button", name="Add identifier").click()
    add = page.get_by_role("dialog", name="Add identifier to AB123CD")
    await expect(add).to_contain_text("many cars share")

    for typed, reason in [
        ("00:00:00:00:00:00", "all bytes are zero"),
        ("VID:FFFFFFFFFFFF", "all bytes are FF (the broadcast address)"),
        ("01-00-5E-00-00-01", "a multicast address"),
    ]:
        await add.get_by_label("Identifier").fill(typed)
        await add.get_by_role("button", name="Save").click()
        refused = add.get_by_role("alert")
        await expect(refused).to_contain_text(reason)
        await expect(refused).to_contain_text("cannot identify one vehicle")
        await expect(refused).to_contain_text("(VALIDATION)")
        await expect(add.get_by_label("Identifier")).to_have_value(typed)  # kept, to correct

    await add.get_by_role("button", name="Close").click()
    await expect(car).to_contain_text("none")  # nothing stored


async def test_a_refused_vehicle_is_explained_in_words(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    await a_user(acme.admin, "Fox Mulder", "fox@acme.example", plates=("AB-123-CD",))
    await a_user(acme.admin, "Dana Scully", "dana@acme.example")
    await signed_in(page, server, acme.admin.key)
    await open_vehicles_of(page, "dana@acme.example")

    await page.get_by_role("button", name="Add Vehicle").click()
    add = page.get_by_role("dialog", name="Add Vehicle")
    await add.get_by_label("License plate").fill("ab 123 cd")
    await add.get_by_role("button", name="Save").click()

    await expect(add.get_by_role("alert")).to_contain_text("CONFLICT")
    await expect(page.get_by_text("No vehicles yet.")).to_be_visible()


async def test_a_pairing_nobody_plugs_in_for_ends_expired(page: Page, server: Autocharge, acme: TenantAccess) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await a_user(acme.admin, "Dana Scully", "dana@acme.example", plates=("AB-123-CD",))

    async def five_seconds(route: Route) -> None:
        """The shortest wait the API allows, instead of the UI's 5 minutes: the same request otherwise."""
        body = json.loads(route.request.post_data or "{}")
        if body.get("operationName") == "StartVehiclePairing":
            body["variables"]["timeoutSeconds"] = 5
        await route.continue_(post_data=json.dumps(body))

    async with charger(server, cpid) as station:
        await station.boot()
        await signed_in(page, server, acme.admin.key)
        await open_vehicles_of(page, "dana@acme.example")
        await page.route("**/graphql", five_seconds)
        await row(page, "AB123CD").get_by_role("button", name="Pair").click()
        pair = page.get_by_role("dialog", name="Pair AB123CD")
        await pair.get_by_role("button", name="Start pairing").click()
        await expect(pair.locator(".countdown")).to_have_text(re.compile(r"^0:0[0-5]$"))

        await expect(pair.get_by_text("Expired", exact=True)).to_be_visible(timeout=15_000)
        await expect(pair).to_contain_text("No vehicle was plugged in in time.")
        await expect(pair.get_by_role("button", name="Cancel")).to_have_count(0)
