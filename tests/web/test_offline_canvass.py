"""Canvassing with no signal: knocks go into the phone's outbox at once, survive a reload in
airplane mode, and reach the server exactly once when the phone is back online, even when an
answer is lost on the way (issue 13, section 4, scenario 1)."""

from typing import Any

import httpx
from playwright.async_api import BrowserContext, Page, Route, expect

from tests.builders import API, CampaignFixture, build_assigned_list, create_list_code
from tests.web.steps import knock_and_talk, knock_not_home, open_list_by_code, screenshot


async def test_knocks_made_offline_survive_a_reload_and_are_stored_once(
    page: Page, phone: BrowserContext, live_client: httpx.AsyncClient, live_camp: CampaignFixture
) -> None:
    assigned = await build_assigned_list(live_client, live_camp)
    list_id = assigned.walk_list["id"]
    code = await create_list_code(live_client, live_camp, list_id)
    await open_list_by_code(page, code["code"], assigned.walk_list["name"])
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")

    await phone.set_offline(True)
    for _ in range(2):
        await knock_not_home(page)
    for n, support in enumerate(
        ("1 - Strong yes", "2 - Lean yes", "1 - Strong yes", "3 - Undecided")
    ):
        await knock_and_talk(page, support, shot="door" if n == 0 else None)
    banner = page.locator("#sync-banner")
    await expect(banner).to_have_text("6 results waiting to sync")
    await expect(page.locator(".progress")).to_have_text("6 of 8 doors done")
    await screenshot(page, "offline-list")

    await page.reload()  # in airplane mode: the app from its service worker, knocks from IndexedDB
    await expect(banner).to_have_text("6 results waiting to sync")
    await expect(page.locator(".progress")).to_have_text("6 of 8 doors done")

    sent: list[int] = []

    async def lose_the_first_answer(route: Route) -> None:
        """The first batch reaches the server, but its answer never reaches the phone."""
        response = await route.fetch()
        sent.append(response.status)
        if len(sent) == 1:
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await page.route(f"**{API}/sync", lose_the_first_answer)
    await phone.set_offline(False)
    await expect(banner).to_be_hidden(timeout=15_000)
    assert len(sent) >= 2 and set(sent) == {200}

    progress = await live_client.get(
        f"{API}/walk_lists/{list_id}/progress", headers=live_camp.organizer.headers
    )
    counts: dict[str, Any] = progress.json()
    assert sum(counts["results"].values()) == 6, counts  # not 12: the re-sent batch was duplicate
    assert counts["results"] == {"not_home": 2, "canvassed": 4}
    assert counts["doors_attempted"] == 6
