"""Builders shared by the tests: small precinct maps, voter files, upload-and-wait."""

import csv
import io
from typing import Any

import httpx

API = "/api/v1"
VOTER_COLUMNS = [
    "voter_id", "first_name", "last_name", "birth_date", "sex", "party",
    "house_number", "street", "unit", "city", "zip", "lon", "lat",
]  # fmt: skip


def square(x0: float, y0: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def precinct_feature(
    code: str, geometry: dict[str, Any], name: str | None = None
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name or f"P {code}"},
    }


def grid_precincts() -> dict[str, Any]:
    """Two precincts side by side: P1 = [-71.10,-71.09] x [42.37,42.38], P2 east of it."""
    return {
        "type": "FeatureCollection",
        "features": [
            precinct_feature("P1", square(-71.10, 42.37)),
            precinct_feature("P2", square(-71.09, 42.37)),
        ],
    }


async def import_precincts(
    client: httpx.AsyncClient, headers: dict[str, str], body: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/precincts/import",
        params={"code_property": "code", "name_property": "name"},
        json=body,
        headers=headers,
    )


def voter_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    columns = columns or VOTER_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode()


def voter(voter_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "voter_id": voter_id, "first_name": "Ann", "last_name": "Lee",
        "birth_date": "1980-05-17", "sex": "F", "party": "D", "house_number": "12",
        "street": "Main Street", "city": "Cambridge", "zip": "02139",
        "lon": "-71.095", "lat": "42.375",
    }  # fmt: skip
    base.update(fields)
    return base


async def upload_voters(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, filename: str = "voters.csv"
) -> dict[str, Any]:
    """Upload a voter file and return the finished job (the job runs before the response
    returns under the test transport)."""
    response = await client.post(
        f"{API}/imports/voters", files={"file": (filename, content, "text/csv")}, headers=headers
    )
    assert response.status_code == 202, response.text
    job = await client.get(f"{API}/imports/{response.json()['id']}", headers=headers)
    assert job.status_code == 200, job.text
    return job.json()
