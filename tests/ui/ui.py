"""The steps a person takes in the web UI, found by role and label as a screen reader would."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from autocharge.main import Autocharge


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


def column_headers(page: Page) -> Locator:
    return page.get_by_role("columnheader")
