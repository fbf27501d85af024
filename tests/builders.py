"""Builders shared by the tests: what a story needs in place before it starts.

Builders go through the HTTP API, as a client would, and assert that each set-up call worked, so
that a test fails at the step that broke rather than somewhere after it. Fixtures live in
`tests/conftest.py`; test modules import builders from here and never from one another.

- The campaign and its members: `CampaignFixture`, `Member` (made by `conftest.make_campaign`);
  accounts through the API: `login`, `bearer`, `add_member`.
- Maps: `square`, `precinct_feature`, `grid_precincts` (P1 and P2), `import_precincts`,
  `precinct_ids`, `create_turf`; the demo's real Cambridge precincts and address points:
  `import_cambridge_precincts`, `cambridge_addresses`, `voters_at`.
- Voter files: `voter`, `resident`, `voter_csv`, `upload_voters`; any import job: `run_import`.
- Surveys: `door_script_survey`, `create_survey`, `survey_option`.
- A campaign world and its walk lists: `CampaignWorld`, `build_campaign_world`,
  `build_walk_list`, `AssignedList`, `build_assigned_list`.
- The canvass: `sync_item`, `send_sync`, `read_person`, `read_contacts`.
- List codes: `create_list_code`, `list_code_headers`.
- Straight to the database: `sql`; a database of its own for a migration: `ScratchDatabase`.
"""

import asyncio
import csv
import io
import os
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from alembic import command
from app.demo import campaign as demo
from app.models import Role

API = "/api/v1"
PASSWORD = "correct horse battery"  # every member's password
VOTER_COLUMNS = [
    *("voter_id", "first_name", "last_name", "birth_date", "sex", "party"),
    *("house_number", "street", "unit", "city", "zip", "lon", "lat"),
]
# The columns of `voters_at` rows: a name and an address point.
ADDRESS_VOTER_COLUMNS = [
    *("voter_id", "first_name", "last_name"),
    *("house_number", "street", "unit", "city", "lon", "lat"),
]

Json = dict[str, Any]


# The campaign and its members.


@dataclass
class Member:
    """A user of one campaign in one role, with the headers that carry their token."""

    id: int
    email: str
    role: Role
    campaign_id: int
    headers: dict[str, str]


@dataclass
class CampaignFixture:
    """A campaign with one member in each role."""

    id: int
    slug: str
    admin: Member
    organizer: Member
    canvasser: Member
    data_entry: Member

    def member(self, role: Role) -> Member:
        member: Member = getattr(self, role.value)
        return member


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    """Sign in with a password (and `campaign`, ...); the raw answer."""
    return await client.post(
        f"{API}/auth/token", data={"username": email, "password": password, **extra}
    )


def app_client(app: Any) -> httpx.AsyncClient:
    """An HTTP client of the app itself (ASGI, in this process): `async with app_client(app)`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(response: httpx.Response) -> dict[str, str]:
    """The headers carrying the token of a successful login."""
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def add_member(
    client: httpx.AsyncClient,
    admin: Member,
    email: str,
    password: str = PASSWORD,
    role: str = "organizer",
    name: str = "Added Member",
) -> Json:
    """An admin adds an account to their campaign (POST /users); the new account."""
    body = {"email": email, "name": name, "role": role, "password": password}
    response = await client.post(f"{API}/users", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def sql(connection: AsyncConnection, query: str, **params: Any) -> list[Any]:
    """Run one statement on the test's own connection; its rows, if it returns any."""
    result = await connection.execute(text(query), params)
    return list(result.all()) if result.returns_rows else []


# Maps: precincts and turfs.


def square(x0: float, y0: float, size: float = 0.01) -> Json:
    """A GeoJSON square polygon with its south-west corner at (x0, y0), in degrees."""
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def precinct_feature(code: str, geometry: Json, name: str | None = None) -> Json:
    """A GeoJSON feature for a precinct file: `code` and `name` properties."""
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"code": code, "name": name or f"P {code}"},
    }


def grid_precincts() -> Json:
    """Two precincts side by side: P1 = [-71.10,-71.09] x [42.37,42.38], P2 east of it."""
    return {
        "type": "FeatureCollection",
        "features": [
            precinct_feature("P1", square(-71.10, 42.37)),
            precinct_feature("P2", square(-71.09, 42.37)),
        ],
    }


async def import_precincts(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: Any,
    code_property: str = "code",
) -> httpx.Response:
    """POST a precinct file (a FeatureCollection, or whatever a test sends instead)."""
    return await client.post(
        f"{API}/precincts/import",
        params={"code_property": code_property, "name_property": "name"},
        json=body,
        headers=headers,
    )


async def precinct_ids(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, int]:
    """The campaign's precincts: id by code."""
    response = await client.get(f"{API}/precincts", params={"limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    return {p["code"]: p["id"] for p in response.json()["results"]}


async def create_turf(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, precinct_ids: list[int]
) -> Json:
    """A turf made of whole precincts."""
    body = {"name": name, "precinct_ids": precinct_ids}
    response = await client.post(f"{API}/turfs", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def import_cambridge_precincts(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> httpx.Response:
    """The demo's 33 real Cambridge precincts, coded by ward and precinct ("5-2")."""
    collection = {"type": "FeatureCollection", "features": demo.precinct_features()}
    return await import_precincts(client, headers, collection, code_property="WardPrecinct")


def cambridge_addresses(precincts: Collection[str] | None = None) -> list[dict[str, str]]:
    """The city's address points, all or those of some ward-precincts (the city's own
    `ward_precinct` column)."""
    with (demo.CAMBRIDGE / "addresses.csv").open(newline="", encoding="utf-8") as f:
        addresses = list(csv.DictReader(f))
    if precincts is None:
        return addresses
    return [a for a in addresses if a["ward_precinct"] in precincts]


def voters_at(
    addresses: list[dict[str, str]], id_prefix: str, *, door_each: bool = True
) -> list[Json]:
    """One voter at each address point, "Pat Doe<i>" with voter id `<id_prefix><i>`. With
    `door_each` each has a unit of their own, so that every point is a door located on its own
    (the city's list repeats some addresses at several points); without, voters at one address
    share its door. Write them with `voter_csv(rows, ADDRESS_VOTER_COLUMNS)`."""
    return [
        {
            "voter_id": f"{id_prefix}{i}",
            "first_name": "Pat",
            "last_name": f"Doe{i}",
            "unit": str(i) if door_each else "",
            **{k: a[k] for k in ("house_number", "street", "city", "lon", "lat")},
        }
        for i, a in enumerate(addresses)
    ]


# Voter files and import jobs.


def voter(voter_id: str, **fields: Any) -> Json:
    """A voter-file row for Ann Lee at 12 Main Street (in precinct P1); `fields` override."""
    base = {
        "voter_id": voter_id,
        "first_name": "Ann",
        "last_name": "Lee",
        "birth_date": "1980-05-17",
        "sex": "F",
        "party": "D",
        "house_number": "12",
        "street": "Main Street",
        "city": "Cambridge",
        "zip": "02139",
        "lon": "-71.095",
        "lat": "42.375",
    }
    return base | fields


def resident(voter_id: str, name: str, address: str, **fields: Any) -> Json:
    """A voter-file row for a named person at an address: `resident("A1", "Zed Able",
    "3 Oak St")` (the last word of the name is the last name)."""
    first_name, last_name = name.rsplit(" ", 1)
    house_number, street = address.split(" ", 1)
    named = {"first_name": first_name, "last_name": last_name}
    return voter(voter_id, **named, house_number=house_number, street=street, **fields)


def voter_csv(rows: list[Json], columns: list[str] | None = None) -> bytes:
    """A voter file: a header of `columns` (VOTER_COLUMNS unless told), then the rows."""
    columns = columns or VOTER_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue().encode()


async def run_import(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    content: bytes,
    filename: str = "upload.csv",
) -> Json:
    """Upload a file to `/imports/<kind>` and return the finished job (the job runs before
    the response returns under the test transport)."""
    response = await client.post(
        f"{API}/imports/{kind}", files={"file": (filename, content, "text/csv")}, headers=headers
    )
    assert response.status_code == 202, response.text
    job = await client.get(f"{API}/imports/{response.json()['id']}", headers=headers)
    assert job.status_code == 200, job.text
    return job.json()


async def upload_voters(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, filename: str = "voters.csv"
) -> Json:
    """Import a voter file and return the finished job."""
    return await run_import(client, headers, "voters", content, filename)


# Surveys.


def door_script_survey() -> Json:
    """The door script: 1 support 1-5 (sets support_level), 2 volunteer Y/N (is_volunteer and
    the volunteer-lead tag), 3 issues H/T (multiple choice; H sets custom:housing), 4 top issue
    in words (text into custom:top_issue), 5 years at this address (a number)."""
    support_labels = ["Strong yes", "Lean yes", "Undecided", "Lean no", "Strong no"]
    support = [
        {"label": f"{n} - {label}", "code": str(n), "effects": {"set": {"support_level": n}}}
        for n, label in enumerate(support_labels, 1)
    ]
    volunteer_yes = {"set": {"is_volunteer": True}, "tags_add": ["volunteer-lead"]}
    volunteer_no = {"set": {"is_volunteer": False}, "tags_remove": ["volunteer-lead"]}
    return {
        "name": "Door script",
        "questions": [
            {"prompt": "Will you support Jane?", "kind": "single_choice", "options": support},
            {
                "prompt": "Volunteer?",
                "kind": "single_choice",
                "options": [
                    {"label": "Yes", "code": "Y", "effects": volunteer_yes},
                    {"label": "No", "code": "N", "effects": volunteer_no},
                ],
            },
            {
                "prompt": "Issues?",
                "kind": "multiple_choice",
                "options": [
                    {"label": "Housing", "code": "H", "effects": {"set": {"custom:housing": True}}},
                    {"label": "Transit", "code": "T"},
                ],
            },
            {
                "prompt": "Top issue in your words",
                "kind": "text",
                "profile_field": "custom:top_issue",
            },
            {"prompt": "Years at this address", "kind": "number"},
        ],
    }


async def create_survey(
    client: httpx.AsyncClient, headers: dict[str, str], body: Json | None = None
) -> Json:
    """A survey (the door script unless told) in the caller's campaign."""
    response = await client.post(
        f"{API}/surveys", json=body or door_script_survey(), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def survey_option(survey: Json, number: int, code: str) -> tuple[int, int]:
    """(question id, option id) of the option coded `code` of question `number`."""
    question = survey["questions"][number - 1]
    return question["id"], next(o["id"] for o in question["options"] if o["code"] == code)


# A campaign world and its walk lists.


@dataclass
class CampaignWorld:
    """Precinct P1 with nine people at eight doors on Oak St and Elm St (and Fay Fox over the
    line in P2), a turf of P1 and the door-script survey."""

    turf: Json
    survey: Json
    people: dict[str, Json]  # by voter id: A1, A2, B1, C1, D1, E1, E2, F1, G1, H1


async def build_campaign_world(client: httpx.AsyncClient, camp: CampaignFixture) -> CampaignWorld:
    """Precincts P1 and P2, ten voters, a turf of P1 and the door-script survey. Everyone is a
    Democrat, a woman, born in 1980, but Dot (a Republican man born in 1950)."""
    headers = camp.organizer.headers
    await import_precincts(client, headers, grid_precincts())
    rows = [
        resident("A1", "Zed Able", "3 Oak St"),
        resident("A2", "Amy Able", "3 Oak St"),
        resident("B1", "Bea Bell", "2 Oak St"),
        resident("C1", "Cal Cole", "10 Oak St"),
        resident("D1", "Dot Dunn", "5 Elm St", party="R", sex="M", birth_date="1950-01-01"),
        resident("E1", "Eve Ewe", "7 Elm St", unit="2"),
        resident("E2", "Eli Ewe", "7 Elm St", unit="1"),
        resident("F1", "Fay Fox", "1 Oak St", lon="-71.085"),  # in P2, outside the turf
        resident("G1", "Gus Gray", "4 Oak St"),
        resident("H1", "Hal Hill", "6 Oak St"),
    ]
    await upload_voters(client, headers, voter_csv(rows))
    precincts = await precinct_ids(client, headers)
    turf = await create_turf(client, headers, "P1 turf", [precincts["P1"]])
    survey = await create_survey(client, headers)
    people = (await client.get(f"{API}/people", params={"limit": 100}, headers=headers)).json()
    return CampaignWorld(turf, survey, {p["external_id"]: p for p in people["results"]})


async def build_walk_list(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld, **filters: Any
) -> Json:
    """A walk list on the world's turf with its survey (built by the organizer): the summary."""
    body = {"turf_id": world.turf["id"], "survey_id": world.survey["id"], "filters": filters}
    response = await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class AssignedList:
    """A walk list of the campaign world assigned to the campaign's canvasser, and the payload
    the canvasser's phone pulled."""

    world: CampaignWorld
    walk_list: Json  # the build summary
    payload: Json  # GET /walk_lists/{id} as the canvasser

    @property
    def survey(self) -> Json:
        return self.world.survey

    @property
    def stops(self) -> list[Json]:
        stops: list[Json] = self.payload["stops"]
        return stops

    def door_of(self, first_name: str) -> tuple[Json, Json]:
        """(the stop, the person) of the one person on the list with this first name."""
        [found] = [(s, p) for s in self.stops for p in s["people"] if p["first_name"] == first_name]
        return found

    def people_by_line(self) -> dict[int, Json]:
        """The list's people by their line number on the sheet."""
        return {p["line"]: p for s in self.stops for p in s["people"]}


async def build_assigned_list(
    client: httpx.AsyncClient, camp: CampaignFixture, world: CampaignWorld | None = None
) -> AssignedList:
    """A walk list on the campaign world (built unless given), assigned to `camp.canvasser`."""
    world = world or await build_campaign_world(client, camp)
    walk_list = await build_walk_list(client, camp, world)
    url = f"{API}/walk_lists/{walk_list['id']}"
    assign = {"user_ids": [camp.canvasser.id]}
    assigned = await client.post(f"{url}/assignments", json=assign, headers=camp.organizer.headers)
    assert assigned.status_code == 200, assigned.text
    payload = await client.get(url, headers=camp.canvasser.headers)
    assert payload.status_code == 200, payload.text
    return AssignedList(world, walk_list, payload.json())


# The canvass: results from phones, and what they change.


def sync_item(
    walk_list: Json, stop: Json, person: Json | None, result: str = "canvassed", **extra: Any
) -> Json:
    """One knock as a phone sends it: at `stop` of `walk_list`, about `person` (None: the
    door), knocked now, no answers; `extra` overrides any field."""
    body = {
        "client_id": str(uuid.uuid4()),
        "walk_list_id": walk_list["id"],
        "household_id": stop["household_id"],
        "person_id": person["id"] if person else None,
        "result": result,
        "knocked_at": datetime.now(UTC).isoformat(),
        "responses": [],
    }
    return body | extra


async def send_sync(
    client: httpx.AsyncClient, headers: dict[str, str], items: list[Any]
) -> httpx.Response:
    """POST a batch of sync items."""
    return await client.post(f"{API}/sync", json={"results": items}, headers=headers)


async def read_person(client: httpx.AsyncClient, camp: CampaignFixture, person_id: int) -> Json:
    """A person's profile as the organizer sees it."""
    response = await client.get(f"{API}/people/{person_id}", headers=camp.organizer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def read_contacts(
    client: httpx.AsyncClient, camp: CampaignFixture, person_id: int
) -> list[Json]:
    """A person's contact history as the organizer sees it, in the order recorded."""
    response = await client.get(
        f"{API}/people/{person_id}/contacts", headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    contacts: list[Json] = response.json()["results"]
    return contacts


# List codes.


async def create_list_code(
    client: httpx.AsyncClient, camp: CampaignFixture, list_id: int, hours: int = 24
) -> Json:
    """A list code for one walk list, made by the organizer."""
    response = await client.post(
        f"{API}/walk_lists/{list_id}/codes",
        json={"expires_in_hours": hours},
        headers=camp.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def list_code_headers(
    client: httpx.AsyncClient, code: str, name: str = "Sam Guest"
) -> dict[str, str]:
    """Sign in with a list code under `name`: the guest's headers."""
    response = await client.post(f"{API}/auth/list_code", json={"code": code, "name": name})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# Migrations.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alembic_config(url: str) -> Config:
    """Alembic, pointed at one database."""
    config = Config(os.path.join(ROOT, "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


@dataclass
class ScratchDatabase:
    """An empty database of the test's own (`conftest.empty_database`): migrate it to a
    revision, fill it, migrate on, read it (`dsn` is for asyncpg)."""

    url: str
    dsn: str

    async def upgrade(self, revision: str) -> None:
        await asyncio.to_thread(command.upgrade, alembic_config(self.url), revision)

    async def downgrade(self, revision: str) -> None:
        await asyncio.to_thread(command.downgrade, alembic_config(self.url), revision)
