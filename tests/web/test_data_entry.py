"""A data-entry clerk types a printed sheet back in (issue 13, section 2): the list by its
number, a grid in line order, codes checked as they are typed, each line's outcome inline, a
wrong line corrected and sent again (alone: lines already in are not sent twice), and a
correction that replaces a line."""

import httpx
from playwright.async_api import Page, expect

from tests.builders import (
    API,
    PASSWORD,
    CampaignFixture,
    build_assigned_list,
    send_sync,
    sync_item,
)
from tests.web.steps import screenshot


async def test_a_clerk_types_a_sheet_corrects_a_line_and_replaces_one(
    desk_page: Page, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    page = desk_page
    assigned = await build_assigned_list(live_client, live_camp)
    lines = assigned.people_by_line()
    # a phone already synced a result for the person of line 2: the sheet's line is its own
    stop = next(s for s in assigned.stops if any(p["line"] == 2 for p in s["people"]))
    phone = await send_sync(
        live_client,
        live_camp.canvasser.headers,
        [sync_item(assigned.walk_list, stop, lines[2], "refused")],
    )
    assert phone.status_code == 200

    await page.goto("/app/entry")
    await page.get_by_label("E-mail").fill(live_camp.data_entry.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("List number").fill(assigned.walk_list["number"])
    await page.keyboard.press("Enter")
    await expect(page.locator(".progress")).to_have_text(f"0 of {len(lines)} lines entered")

    # keyboard only: a code, Enter to the next cell
    await page.get_by_label("Line 1 Result").focus()
    await page.keyboard.type("C")
    await page.keyboard.press("Enter")
    await page.keyboard.type("2")  # Q1: Lean yes
    await page.get_by_label("Line 2 Result").fill("NH")
    bad = page.get_by_label("Line 3 Result")
    await bad.fill("ZZ")
    await expect(bad).to_have_attribute("aria-invalid", "true")  # seen as typed
    await page.get_by_role("button", name="Send the lines").click()
    row = page.locator("tr", has=page.get_by_label("Line 3 Result"))
    await expect(row.locator("td.status")).to_contain_text("not a result code")
    await expect(
        page.locator("tr", has=page.get_by_label("Line 1 Result")).locator("td.status")
    ).to_have_text("created")
    await expect(
        page.locator("tr", has=page.get_by_label("Line 2 Result")).locator("td.status")
    ).to_have_text("created")
    await screenshot(page, "data-entry")

    await bad.fill("R")  # corrected and sent again, alone: lines 1 and 2 are in already
    await page.get_by_role("button", name="Send the lines").click()
    await expect(row.locator("td.status")).to_have_text("created")
    await expect(page.locator(".progress")).to_have_text(f"3 of {len(lines)} lines entered")

    await page.get_by_label("Line 1 Result").fill("R")  # a correction of line 1
    await page.get_by_label("Line 1 Q1").fill("")
    await page.get_by_label("Replace lines already entered").check()
    await page.get_by_role("button", name="Send the lines").click()
    await expect(
        page.locator("tr", has=page.get_by_label("Line 1 Result")).locator("td.status")
    ).to_have_text("replaced")

    history = await live_client.get(
        f"{API}/people/{lines[2]['id']}/contacts", headers=live_camp.organizer.headers
    )
    results = sorted(c["result"] for c in history.json()["results"])
    assert results == ["not_home", "refused"]  # the phone's and the sheet's, each kept
