"""Steps the browser tests share: a screenshot, a knock at the next door."""

from pathlib import Path

from playwright.async_api import Page, expect

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"


async def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def knock_not_home(page: Page) -> None:
    await page.locator("li.next a.door").click()
    whole_door = page.get_by_role("group", name="Whole door")
    await whole_door.get_by_role("button", name="Not home").click()
    await expect(page.locator("ol.stops")).to_be_visible()


async def knock_and_talk(page: Page, support: str, shot: str | None = None) -> None:
    """The next door: its first person talked, and answered questions 1 to 3."""
    await page.locator("li.next a.door").click()
    person = page.locator("section.person").first
    await person.get_by_role("button", name="Talked").click()
    await person.get_by_role("button", name=support).click()
    await person.get_by_role("button", name="Yes", exact=True).click()
    await person.get_by_role("button", name="Housing").click()
    if shot:
        await screenshot(page, shot)
    await page.get_by_role("button", name="Save and next door").click()
    await expect(page.locator("ol.stops")).to_be_visible()
