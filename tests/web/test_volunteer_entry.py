"""A volunteer opens the app on a phone: with a list code's link or an account, they land on
their lists (issue 13, section 1: entry and "My lists")."""

import httpx
from playwright.async_api import Page, expect

from tests.builders import (
    PASSWORD,
    CampaignFixture,
    build_assigned_list,
    create_list_code,
)
from tests.web.steps import screenshot


async def test_a_list_code_link_asks_only_a_name_and_opens_the_list(
    page: Page, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    code = await create_list_code(live_client, live_camp, assigned.walk_list["id"])
    await page.goto(f"/app/go/{code['code']}")
    await expect(page.get_by_role("heading", name="Your walk list")).to_be_visible()
    await expect(page.get_by_label("List code")).to_have_count(0)  # the link carries it
    await screenshot(page, "code-link")
    await page.get_by_label("Your name").fill("Robin Door")
    await page.get_by_role("button", name="Start").click()
    await expect(page.get_by_role("heading", name="My lists")).to_be_visible()
    card = page.get_by_role("listitem")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text(assigned.walk_list["name"])
    await expect(card).to_contain_text(f"List {assigned.walk_list['number']}")
    await expect(card).to_contain_text(f"{assigned.walk_list['door_count']} doors")
    await screenshot(page, "my-lists")


async def test_a_canvasser_signs_in_and_sees_the_lists_assigned_to_them(
    page: Page, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    await page.goto("/app/")
    await page.get_by_label("E-mail").fill(live_camp.canvasser.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("listitem")).to_contain_text(assigned.walk_list["name"])
    await page.reload()  # the session outlives a reload
    await expect(page.get_by_role("heading", name="My lists")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Start canvassing")).to_be_visible()


async def test_a_wrong_password_or_code_is_said_on_the_form(
    page: Page, live_camp: CampaignFixture
) -> None:
    await page.goto("/app/")
    await page.get_by_label("E-mail").fill(live_camp.canvasser.email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await page.get_by_label("List code").fill("NOPE-NOPE")
    await page.get_by_label("Your name").fill("Robin")
    await page.get_by_role("button", name="Start").click()
    await expect(page.get_by_role("alert").first).to_be_visible()
    await expect(page.get_by_role("heading", name="Start canvassing")).to_be_visible()
