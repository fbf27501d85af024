"""Every error is application/problem+json with a 4xx status for bad input."""

from httpx import AsyncClient

from tests.conftest import CampaignFixture
from tests.helpers import API


async def test_unknown_routes_methods_and_ids(client: AsyncClient, camp: CampaignFixture) -> None:
    for method, url, status in (
        ("GET", f"{API}/nothing-here", 404),
        ("DELETE", f"{API}/precincts", 405),
        ("GET", f"{API}/people/not-a-number", 422),
        ("GET", f"{API}/people/99999999", 404),
        ("GET", f"{API}/imports/99999999", 404),
    ):
        response = await client.request(method, url, headers=camp.admin.headers)
        assert response.status_code == status, (method, url)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == status and body["title"] and body["detail"]


async def test_wrong_types_name_the_field(client: AsyncClient, camp: CampaignFixture) -> None:
    response = await client.post(
        f"{API}/users",
        json={"email": 5, "name": ["x"], "role": "admin"},
        headers=camp.admin.headers,
    )
    assert response.status_code == 422
    assert {e["loc"] for e in response.json()["errors"]} >= {
        "body.email",
        "body.name",
        "body.password",
    }
    not_json = await client.post(
        f"{API}/users",
        content=b"\x00\x01",
        headers={**camp.admin.headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 400
