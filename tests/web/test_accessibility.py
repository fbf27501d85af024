"""Every screen of the app passes axe-core (no serious or critical violation) and its targets
are at least 44x44 px (issue 13, section 4)."""

import httpx
from playwright.async_api import Browser, expect

from tests.builders import PASSWORD, CampaignFixture, build_assigned_list, create_list_code
from tests.web.conftest import DESK, PHONE
from tests.web.steps import accessibility_problems


async def test_the_volunteers_screens_pass_axe_with_targets_of_44_px(
    browser: Browser, live_server: str, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    code = await create_list_code(live_client, live_camp, assigned.walk_list["id"])
    context = await browser.new_context(base_url=live_server, bypass_csp=True, **PHONE)
    page = await context.new_page()
    screens: dict[str, list[str]] = {}
    await page.goto("/app/")
    await expect(page.get_by_role("heading", name="Start canvassing")).to_be_visible()
    screens["entry"] = await accessibility_problems(page)
    await page.goto(f"/app/go/{code['code']}")
    await expect(page.get_by_label("Your name")).to_be_visible()
    screens["code link"] = await accessibility_problems(page)
    await page.get_by_label("Your name").fill("Robin Door")
    await page.get_by_role("button", name="Start").click()
    await expect(page.get_by_role("heading", name="My lists")).to_be_visible()
    screens["my lists"] = await accessibility_problems(page)
    await page.get_by_role("link", name=assigned.walk_list["name"]).click()
    await expect(page.locator("li.next")).to_have_count(1)
    screens["list"] = await accessibility_problems(page)
    await page.locator("li.next a.door").click()
    await page.locator("section.person").first.get_by_role("button", name="Talked").click()
    screens["door"] = await accessibility_problems(page)
    await context.close()
    assert screens == {name: [] for name in screens}


async def test_the_data_entry_screens_pass_axe_with_targets_of_44_px(
    browser: Browser, live_server: str, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    context = await browser.new_context(base_url=live_server, bypass_csp=True, **DESK)
    page = await context.new_page()
    screens: dict[str, list[str]] = {}
    await page.goto("/app/entry")
    await expect(page.get_by_label("E-mail")).to_be_visible()
    screens["sign in"] = await accessibility_problems(page)
    await page.get_by_label("E-mail").fill(live_camp.data_entry.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_label("List number")).to_be_visible()
    screens["open a sheet"] = await accessibility_problems(page)
    await page.get_by_label("List number").fill(assigned.walk_list["number"])
    await page.keyboard.press("Enter")
    await expect(page.locator(".progress")).to_be_visible()
    await page.get_by_label("Line 1 Result").fill("ZZ")  # a wrong code, marked
    screens["sheet"] = await accessibility_problems(page)
    await context.close()
    assert screens == {name: [] for name in screens}
