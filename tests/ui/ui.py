"""The steps a person takes in the web UI, found by role and label as a screen reader would."""

from __future__ import annotations

import itertools

from playwright.async_api import Locator, Page, expect

from autocharge.main import Autocharge
from tests.e2e.harness import Api


async def sign_in(page: Page, server: Autocharge, key: str) -> None:
    """Open the back office and sign in with `key`, as pasted by the user."""
    await page.goto(f"{server.api_url}/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


async def signed_in(page: Page, server: Autocharge, key: str) -> None:
    """Sign in and wait for the Users screen."""
    await sign_in(page, server, key)
    await expect(page.get_by_role("heading", name="Users")).to_be_visible()


def row(page: Page, text: str) -> Locator:
    """The table row that mentions `text`."""
    return page.get_by_role("row").filter(has_text=text)


_chargers = itertools.count(1)


def a_cpid(name: str = "CP") -> str:
    """A charge point id no other test on the shared server uses (they are unique across tenants)."""
    return f"{name}-{next(_chargers)}"


def column_headers(page: Page) -> Locator:
    return page.get_by_role("columnheader")


async def a_user(api: Api, name: str, email: str, rfid: str | None = None, plates: tuple[str, ...] = ()) -> str:
    """A user made through the API (with an RFID tag and vehicles when given); its id."""
    data = await api(
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", i={"email": email, "name": name}
    )
    user_id = str(data["createUser"]["id"])
    if rfid is not None:
        await api("mutation($u: ID!, $t: String!) { addRfidTag(userId: $u, idTag: $t) { id } }", u=user_id, t=rfid)
    for plate in plates:
        await api.add_vehicle(user_id, plate)
    return user_id


async def is_on_top(locator: Locator) -> bool:
    """Whether a click at the element's centre lands on it as it is, unscrolled (not clipped, not covered)."""
    return bool(
        await locator.evaluate(
            """element => {
                const box = element.getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                return hit !== null && element.contains(hit);
            }"""
        )
    )


# Every button a READ_ONLY key may see: navigation, display and signing out; none of them changes data.
# (An ADMIN key's screens have the others: the tests of each screen click each of them.)
LOOKING_ONLY = {
    "Sign out",
    "Columns",
    "More actions",
    "Previous page",
    "Next page",
    "Pause",
    "Resume",
    "Older frames",
    "Clear filters",
    "Export CSV",
}


async def button_names(page: Page) -> set[str]:
    return {(await button.inner_text()).strip() for button in await page.get_by_role("button").all()}
