"""Every error is application/problem+json with a 4xx status for bad input."""

import pytest
from httpx import AsyncClient

from tests.builders import API, CampaignFixture


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/nothing-here", 404, id="unknown route"),
        pytest.param("DELETE", "/precincts", 405, id="method not allowed"),
        pytest.param("GET", "/people/not-a-number", 422, id="an id that is not a number"),
        pytest.param("GET", "/people/99999999", 404, id="unknown person"),
        pytest.param("GET", "/imports/99999999", 404, id="unknown import job"),
    ],
)
async def test_unknown_routes_methods_and_ids_are_problems(
    client: AsyncClient, camp: CampaignFixture, method: str, path: str, status: int
) -> None:
    response = await client.request(method, f"{API}{path}", headers=camp.admin.headers)
    assert response.status_code == status
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


async def test_a_body_that_is_not_json_is_400(client: AsyncClient, camp: CampaignFixture) -> None:
    not_json = await client.post(
        f"{API}/users",
        content=b"\x00\x01",
        headers={**camp.admin.headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 400
