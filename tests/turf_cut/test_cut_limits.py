"""A cut in a request is bounded by TURF_CUT_SECONDS, and stops as soon as its client has
gone: its worker thread would otherwise keep a core busy for nobody (issue 11, item 7)."""

import asyncio
import json
import time
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import Settings
from app.hardening import Hardening
from app.main import create_app
from tests.builders import API, CampaignFixture, app_client, square

# A drawn area of about 4 x 3 km, and 20,000 doors in it: cut into 800 turfs, the cut takes
# far longer than the test waits.
AREA = {"type": "Polygon", "coordinates": [[[-71.121, 42.359], [-71.079, 42.359],
        [-71.079, 42.391], [-71.121, 42.391], [-71.121, 42.359]]]}  # fmt: skip
SCATTER_DOORS = """
    INSERT INTO household (campaign_id, address_key, house_number, street, geom)
    SELECT :cid, 'scatter ' || g, g::text, 'Scatter Street',
           ST_SetSRID(ST_MakePoint(-71.12 + 0.04 * ((g * 7919) % 10007) / 10007.0,
                                   42.36 + 0.03 * ((g * 104729) % 10009) / 10009.0), 4326)
    FROM generate_series(1, :doors) g
"""


async def scatter_doors(connection: AsyncConnection, camp: CampaignFixture, doors: int) -> None:
    await connection.execute(text(SCATTER_DOORS), {"cid": camp.id, "doors": doors})
    await connection.execute(text("ANALYZE household"))


async def test_a_cut_over_its_time_setting_is_refused_naming_turf_count(
    settings: Settings, sessionmaker: Any, connection: AsyncConnection, camp: CampaignFixture
) -> None:
    await scatter_doors(connection, camp, 2_000)
    app = create_app(settings, sessionmaker, Hardening(turf_cut_seconds=0.0))
    async with app_client(app) as c:
        body = {"area": {"geometry": AREA}, "turf_count": 20, "save": False}
        answer = await c.post(f"{API}/turfs/cut", json=body, headers=camp.organizer.headers)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["loc"] == "body.turf_count" and "0 s budget" in error["message"]


async def test_a_cut_stops_when_its_client_goes_away(
    settings: Settings, sessionmaker: Any, connection: AsyncConnection, camp: CampaignFixture
) -> None:
    await scatter_doors(connection, camp, 20_000)
    app = create_app(settings, sessionmaker, Hardening(turf_cut_seconds=120.0))
    body = json.dumps({"area": {"geometry": AREA}, "turf_count": 800, "save": False}).encode()
    headers = {**camp.organizer.headers, "content-type": "application/json"}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{API}/turfs/cut",
        "raw_path": f"{API}/turfs/cut".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    delivered = False
    gone_at: list[float] = []

    async def receive() -> dict[str, Any]:
        """The body, then, half a second later, the client closing its connection."""
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(0.5)
        gone_at.append(time.perf_counter())
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=60)
    ended = time.perf_counter()
    assert gone_at, "the client never went away: the cut ended before"
    assert ended - gone_at[0] < 2, f"the cut ran on {ended - gone_at[0]:.1f} s for nobody"
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 422
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert "cancelled" in json.loads(answer)["errors"][0]["message"]


async def test_a_small_cut_is_not_stopped_by_the_watch_on_its_client(
    client: httpx.AsyncClient, connection: AsyncConnection, camp: CampaignFixture
) -> None:
    """The watch ends with the cut: an ordinary cut answers as before."""
    await scatter_doors(connection, camp, 400)
    area = {"geometry": square(-71.121, 42.359, 0.05)}
    body = {"area": area, "turf_count": 4, "save": False}
    answer = await client.post(f"{API}/turfs/cut", json=body, headers=camp.organizer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["metrics"]["doors"] == 400
