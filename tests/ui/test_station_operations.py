"""A station's operations in the web UI: Reset and the others answered by a simulated charger, Autocharge readiness
read and switched on, settings searched, refreshed and edited (shown changed once accepted), the API's
UNAVAILABLE in words for a charger that is not connected, and none of the buttons for a READ_ONLY key."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from autocharge.main import Autocharge
from tests.e2e.harness import Api, TenantAccess, charger
from tests.ui.conftest import UI_LOOP
from tests.ui.test_stations import open_station
from tests.ui.ui import LOOKING_ONLY, a_cpid, button_names

pytestmark = UI_LOOP

OPERATIONS = ["Reset", "Unlock connector", "Change availability", "Trigger message", "Send local list"]


def setting(page: Page, key: str) -> Locator:
    """The Settings table's row of `key` (the Real-Time Logs mention it too)."""
    return page.get_by_role("region", name="Settings").get_by_role("row").filter(has_text=key)


async def settings_read(api: Api, charger_id: str) -> None:
    """Have the server read the charger's settings (the tests' server does not after a boot)."""
    await api("mutation($c: ID!) { refreshChargerSettings(chargerId: $c) { id } }", c=charger_id)


async def test_a_reset_and_the_other_operations_show_the_charger_s_answer_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid) as station:
        await station.boot()
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        operations = page.get_by_role("region", name="Operations")
        answer = operations.get_by_role("status")

        await operations.get_by_role("button", name="Reset").click()
        dialog = page.get_by_role("dialog", name="Reset")
        await dialog.get_by_label("Hard").check()
        await dialog.get_by_role("button", name="Send").click()
        await expect(answer).to_have_text("Reset (Hard): the charger answered Accepted.")
        await expect(page.get_by_role("dialog")).to_have_count(0)

        await operations.get_by_role("button", name="Unlock connector").click()
        dialog = page.get_by_role("dialog", name="Unlock connector")
        await expect(dialog.get_by_label("Connector")).to_have_value("1")
        await dialog.get_by_role("button", name="Send").click()
        await expect(answer).to_contain_text("Unlock connector 1: the charger answered")

        await operations.get_by_role("button", name="Change availability").click()
        dialog = page.get_by_role("dialog", name="Change availability")
        await dialog.get_by_label("Availability").select_option(label="Inoperative")
        await expect(dialog.get_by_label("Connector")).to_have_value("0")  # the whole charger
        await dialog.get_by_role("button", name="Send").click()
        await expect(answer).to_contain_text("Change availability of the whole charger to Inoperative: the charger")

        await operations.get_by_role("button", name="Trigger message").click()
        dialog = page.get_by_role("dialog", name="Trigger message")
        await dialog.get_by_label("Message").select_option(label="Heartbeat")
        await dialog.get_by_role("button", name="Send").click()
        await expect(answer).to_have_text("Trigger Heartbeat: the charger answered Accepted.")

        await operations.get_by_role("button", name="Send local list").click()
        await page.get_by_role("dialog", name="Send local list").get_by_role("button", name="Send").click()
        await expect(answer).to_have_text("Send local list: the charger answered Accepted.")
        await expect(page.get_by_text("Local list version: 1")).to_be_visible()
        assert station.station.local_list_version == 1


async def test_autocharge_readiness_is_read_then_switched_on(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    charger_id = await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid, autocharge_switch=False) as station:
        await station.boot()
        await settings_read(acme.admin, charger_id)
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        readiness = page.get_by_role("region", name="Autocharge readiness")
        await expect(readiness).to_contain_text("Disabled")
        await expect(readiness).to_contain_text("AutoChargeEnabled")

        await readiness.get_by_role("button", name="Turn Autocharge on").click()
        await expect(readiness.get_by_role("status")).to_have_text("Turn Autocharge on: the charger answered Accepted.")
        await expect(readiness).to_contain_text("Enabled")
        await expect(readiness.get_by_role("button", name="Turn Autocharge off")).to_be_visible()
        assert station.station.settings["AutoChargeEnabled"].value == "true"


async def test_a_setting_is_searched_edited_and_shown_changed_once_accepted(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid) as station:
        await station.boot()
        await open_station(page, server, acme.admin.key, f"Charger {cpid}")
        settings = page.get_by_role("region", name="Settings")
        await settings.get_by_role("button", name="Refresh settings").click()
        connectors = setting(page, "NumberOfConnectors")
        await expect(connectors).to_contain_text("Yes")  # read-only
        await expect(connectors.get_by_role("button", name="Edit")).to_have_count(0)

        await settings.get_by_label("Search settings").fill("Heartbeat")
        await expect(settings.locator("tbody tr")).to_have_count(1)
        heartbeat = setting(page, "HeartbeatInterval")
        await expect(heartbeat).to_contain_text("300")
        await heartbeat.get_by_role("button", name="Edit").click()
        dialog = page.get_by_role("dialog", name="Edit HeartbeatInterval")
        await dialog.get_by_label("Value").fill("60")
        await dialog.get_by_role("button", name="Send").click()

        await expect(settings.get_by_role("status")).to_have_text("HeartbeatInterval is now 60.")
        await expect(heartbeat.get_by_role("cell").nth(1)).to_have_text("60")
        assert station.station.settings["HeartbeatInterval"].value == "60"

        station.station.settings["HeartbeatInterval"].readonly = True  # the charger now refuses a change
        await heartbeat.get_by_role("button", name="Edit").click()
        await dialog.get_by_label("Value").fill("30")
        await dialog.get_by_role("button", name="Send").click()
        await expect(dialog.get_by_role("alert")).to_have_text(
            "The charger answered Rejected: HeartbeatInterval keeps its value (Rejected)"
        )
        await dialog.get_by_role("button", name="Close").click()
        await expect(heartbeat.get_by_role("cell").nth(1)).to_have_text("60")  # not shown changed

        await settings.get_by_label("Search settings").fill("NoSuchSetting")
        await expect(settings).to_contain_text('No setting matches "NoSuchSetting".')


async def test_an_operation_on_a_charger_that_is_not_connected_shows_unavailable_in_words(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    await acme.admin.register_charger(cpid, autocharge=True)
    await open_station(page, server, acme.admin.key, f"Charger {cpid}")
    await page.get_by_role("region", name="Operations").get_by_role("button", name="Reset").click()
    dialog = page.get_by_role("dialog", name="Reset")
    await dialog.get_by_role("button", name="Send").click()
    await expect(dialog.get_by_role("alert")).to_contain_text("(UNAVAILABLE)")
    await dialog.get_by_role("button", name="Close").click()

    settings = page.get_by_role("region", name="Settings")
    await expect(settings).to_contain_text("The charger has reported no settings yet.")
    await settings.get_by_role("button", name="Refresh settings").click()
    await expect(settings.get_by_role("alert")).to_contain_text("(UNAVAILABLE)")


async def test_a_read_only_key_sees_readiness_and_settings_without_any_operation(
    page: Page, server: Autocharge, acme: TenantAccess
) -> None:
    cpid = a_cpid()
    charger_id = await acme.admin.register_charger(cpid, autocharge=True)
    async with charger(server, cpid, autocharge_switch=False) as station:
        await station.boot()
        await settings_read(acme.admin, charger_id)
        await open_station(page, server, acme.read_only.key, f"Charger {cpid}")
        await expect(page.get_by_role("region", name="Autocharge readiness")).to_contain_text("Disabled")
        await expect(setting(page, "HeartbeatInterval")).to_contain_text("300")
        await expect(page.get_by_role("region", name="Operations")).to_have_count(0)
        for name in [*OPERATIONS, "Turn Autocharge on", "Refresh settings", "Edit"]:
            await expect(page.get_by_role("button", name=name)).to_have_count(0)
        assert await button_names(page) <= LOOKING_ONLY
