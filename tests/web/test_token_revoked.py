"""A list code revoked mid-shift while results wait on the phone: the app asks for a code,
keeps its outbox, and sends it once a new code is entered (issue 13, section 4, scenario 2)."""

import httpx
from playwright.async_api import BrowserContext, Page, expect

from tests.builders import API, CampaignFixture, build_assigned_list, create_list_code
from tests.web.steps import knock_not_home, open_list_by_code


async def test_a_revoked_code_keeps_the_outbox_until_a_new_code_is_entered(
    page: Page, phone: BrowserContext, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    list_id = assigned.walk_list["id"]
    organizer = live_camp.organizer.headers
    first = await create_list_code(live_client, live_camp, list_id)
    await open_list_by_code(page, first["code"], assigned.walk_list["name"])

    await phone.set_offline(True)
    await knock_not_home(page)
    await knock_not_home(page)
    banner = page.locator("#sync-banner")
    await expect(banner).to_have_text("2 results waiting to sync")

    revoked = await live_client.delete(
        f"{API}/walk_lists/{list_id}/codes/{first['code']}", headers=organizer
    )
    assert revoked.status_code == 204, revoked.text
    await phone.set_offline(False)  # the outbox drains, and the server refuses the token
    await expect(page.get_by_role("heading", name="Start canvassing")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="results are kept")).to_be_visible()
    await expect(banner).to_contain_text("2 results waiting to sync")

    second = await create_list_code(live_client, live_camp, list_id)
    await page.get_by_label("List code").fill(second["code"])
    await page.get_by_label("Your name").fill("Robin Door")
    await page.get_by_role("button", name="Start").click()
    await expect(banner).to_be_hidden(timeout=15_000)
    progress = await live_client.get(f"{API}/walk_lists/{list_id}/progress", headers=organizer)
    assert progress.json()["results"] == {"not_home": 2}
