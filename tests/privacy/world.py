"""Builders of the privacy stories: a canvassed walk list whose people have said and been
told things, some alone at their door (Bea Bell), some sharing it (Zed and Amy Able).

- `build_canvassed` (the `canvassed` fixture): the list after the knocks and the hand
  corrections that `Knocked` tells.
- `audit_rows`: the campaign's log, straight from the database.
- `erase`: erase a person as the admin.
- `text_rows_matching`: every row of the campaign, in any table, whose text matches.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import metadata
from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    Json,
    send_sync,
    sql,
    survey_option,
    sync_item,
)

# What Bea told and what staff wrote about her: none of it may survive her erasure.
BEA_SECRETS = ("Bea", "Bell", "Beatrix", "617-555-0100", "bea@bell.test", "size 9", "B1")


def ago(**delta: float) -> str:
    """A time that long ago, as a phone sends it."""
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@dataclass
class Knocked:
    """The assigned list after one synced batch and Bea's hand corrections.

    - Bea (alone at 2 Oak St): nobody home at the door first, then canvassed: lean yes,
      volunteers (a tag), issues housing and transit, "Bea Bell wants bike lanes" in words,
      12 years at the address, a note with her phone number, a location. Then staff set her
      middle name, phone, e-mail and a custom field, and tagged her.
    - Zed and Amy Able (3 Oak St): a door knock for both ("Zed Able and Amy were friendly",
      "Zed Able likes parks"), then Zed refused ("Zed Able hung up").
    - Dot (5 Elm St): canvassed, strong no.
    """

    assigned: AssignedList
    bea: Json
    zed: Json
    amy: Json
    dot: Json
    batch: list[Json]

    @property
    def walk_list(self) -> Json:
        return self.assigned.walk_list


async def build_canvassed(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> Knocked:
    walk_list, survey = assigned.walk_list, assigned.survey
    q1, lean_yes = survey_option(survey, 1, "2")
    _, strong_no = survey_option(survey, 1, "5")
    q2, volunteer = survey_option(survey, 2, "Y")
    q3, housing = survey_option(survey, 3, "H")
    _, transit = survey_option(survey, 3, "T")
    q4, q5 = survey["questions"][3]["id"], survey["questions"][4]["id"]
    (bea_door, bea), (able_door, zed) = assigned.door_of("Bea"), assigned.door_of("Zed")
    (_, amy), (dot_door, dot) = assigned.door_of("Amy"), assigned.door_of("Dot")
    bea_answers = [
        {"question_id": q1, "option_ids": [lean_yes]},
        {"question_id": q2, "option_ids": [volunteer]},
        {"question_id": q3, "option_ids": [housing, transit]},
        {"question_id": q4, "text": "Bea Bell wants bike lanes"},
        {"question_id": q5, "number": 12},
    ]
    items = [
        sync_item(walk_list, bea_door, None, "not_home", knocked_at=ago(hours=3)),
        sync_item(
            walk_list,
            bea_door,
            bea,
            responses=bea_answers,
            note="Bea Bell: call back on 617-555-0100",
            location={"lon": -71.095, "lat": 42.375},
            knocked_at=ago(hours=2),
        ),
        sync_item(
            walk_list,
            able_door,
            None,
            responses=[{"question_id": q4, "text": "Zed Able likes parks"}],
            note="Zed Able and Amy were friendly",
            location={"lon": -71.095, "lat": 42.375},
            knocked_at=ago(hours=3),
        ),
        sync_item(walk_list, able_door, zed, "refused", note="Zed Able hung up"),
        sync_item(
            walk_list, dot_door, dot, responses=[{"question_id": q1, "option_ids": [strong_no]}]
        ),
    ]
    response = await send_sync(client, camp.canvasser.headers, items)
    assert response.status_code == 200, response.text
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    patch = {
        "middle_name": "Beatrix",
        "phone": "617-555-0100",
        "email": "bea@bell.test",
        "custom_fields": {"shoe": "size 9"},
    }
    url = f"{API}/people/{bea['id']}"
    patched = await client.patch(url, json=patch, headers=camp.organizer.headers)
    assert patched.status_code == 200, patched.text
    tagged = await client.put(f"{url}/tags/bell-ringer", headers=camp.organizer.headers)
    assert tagged.status_code == 200, tagged.text
    return Knocked(assigned, bea, zed, amy, dot, items)


async def audit_rows(connection: AsyncConnection, campaign_id: int, **where: Any) -> list[Any]:
    """The campaign's audit entries in order, optionally only those with column = value."""
    filters = "".join(f" AND {column} = :{column}" for column in where)
    return await sql(
        connection,
        f"SELECT * FROM audit_entry WHERE campaign_id = :cid{filters} ORDER BY id",
        cid=campaign_id,
        **where,
    )


async def erase(client: AsyncClient, camp: CampaignFixture, person_id: int) -> Json:
    """Erase a person as the campaign's admin; the receipt."""
    response = await client.delete(f"{API}/people/{person_id}", headers=camp.admin.headers)
    assert response.status_code == 200, response.text
    receipt: Json = response.json()
    return receipt


def tenant_tables() -> list[str]:
    """Every table whose rows belong to a campaign."""
    return sorted(t.name for t in metadata.sorted_tables if "campaign_id" in t.c)


async def text_rows_matching(
    connection: AsyncConnection, campaign_id: int, pattern: str
) -> list[tuple[str, str]]:
    """(table, row as text) of every row of the campaign, in any table, whose text matches
    the case-insensitive regular expression (every column, JSON and arrays included)."""
    found: list[tuple[str, str]] = []
    for table in tenant_tables():
        rows = await sql(
            connection,
            f"SELECT to_jsonb(t)::text FROM {table} t"
            " WHERE t.campaign_id = :cid AND to_jsonb(t)::text ~* :pattern",
            cid=campaign_id,
            pattern=pattern,
        )
        found += [(table, row[0]) for row in rows]
    return found
