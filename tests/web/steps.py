"""Steps the browser tests share: a screenshot, a knock at the next door."""

from pathlib import Path

from playwright.async_api import Page, expect

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "web"


async def screenshot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def open_list_by_code(page: Page, code: str, list_name: str) -> None:
    """A volunteer follows a list code's link, gives their name and opens the list."""
    await page.goto(f"/app/go/{code}")
    await page.get_by_label("Your name").fill("Robin Door")
    await page.get_by_role("button", name="Start").click()
    await page.get_by_role("link", name=list_name).click()
    await expect(page.locator("li.next")).to_have_count(1)


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


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# What a thumb must be able to hit: buttons, links that open a door or a list, text fields.
TARGETS = "button, a.door, .list h3 a, input:not([type=checkbox]):not([type=hidden]), textarea"


async def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, and targets under 44x44 px.
    (The page's context must bypass CSP: axe is injected as an inline script.)"""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): `
                + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    small = await page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e, e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 44 || r.height < 44)
            .map(([e, r]) => `${e.tagName.toLowerCase()}`
                + ` "${(e.textContent || e.name || '').trim()}"`
                + ` ${Math.round(r.width)}x${Math.round(r.height)}`)""",
        TARGETS,
    )
    return [*found, *(f"target under 44 px: {s}" for s in small)]
