"""The audit log: each read, search, pull, export, change and sync batch leaves one entry, in
the same transaction (a failed request leaves none), without personal data; admins read it,
paged and filtered; nobody rewrites it."""

import json

import pytest
from httpx import AsyncClient
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from app.config import Settings
from app.deps import SessionDep, Staff
from app.errors import Conflict
from app.main import create_app
from app.models import Role
from app.services.privacy import audit
from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    app_client,
    create_list_code,
    list_code_headers,
    run_import,
    send_sync,
    sql,
    sync_item,
)
from tests.privacy.world import BEA_SECRETS, Knocked, audit_rows, erase


async def test_reading_a_person_is_logged_with_who_and_whom(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    bea = canvassed.bea["id"]
    before = await audit_rows(connection, camp.id, action="person.read")
    response = await client.get(f"{API}/people/{bea}", headers=camp.organizer.headers)
    assert response.status_code == 200
    [entry] = (await audit_rows(connection, camp.id, action="person.read"))[len(before) :]
    assert (entry.actor_user_id, entry.actor_guest, entry.actor_role) == (
        camp.organizer.id,
        None,
        "organizer",
    )
    assert (entry.object_type, entry.object_ids, entry.detail) == ("person", [bea], {})
    assert entry.at is not None


async def test_a_search_is_one_entry_with_its_filters_and_the_ids_shown_not_the_name_typed(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    params = {"q": "able", "party": "D", "limit": 1}
    first = await client.get(f"{API}/people", params=params, headers=camp.organizer.headers)
    assert first.status_code == 200 and first.json()["next"]
    second = await client.get(first.json()["next"], headers=camp.organizer.headers)
    pages = [first.json()["results"], second.json()["results"]]
    entries = await audit_rows(connection, camp.id, action="person.search")
    assert [e.object_ids for e in entries[-2:]] == [[p["id"] for p in page] for page in pages]
    assert entries[-2].detail == {"q_words": 1, "party": "D", "next_page": False}
    assert entries[-1].detail["next_page"] is True
    assert "able" not in json.dumps([e.detail for e in entries]).lower()


async def test_a_contact_history_read_is_logged(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    zed = canvassed.zed["id"]
    response = await client.get(f"{API}/people/{zed}/contacts", headers=camp.admin.headers)
    assert response.status_code == 200
    [entry] = await audit_rows(connection, camp.id, action="person.contacts_read")
    assert (entry.actor_user_id, entry.object_ids) == (camp.admin.id, [zed])


async def test_a_patch_logs_the_fields_it_changed_not_their_values(
    connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    [entry] = await audit_rows(connection, camp.id, action="person.update")
    assert entry.object_ids == [canvassed.bea["id"]]
    assert entry.detail == {
        "fields": ["custom_fields", "email", "middle_name", "phone"],
        "custom_fields": ["shoe"],
    }


async def test_tags_are_logged_without_the_tag(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    url = f"{API}/people/{canvassed.bea['id']}/tags/bell-ringer"
    assert (await client.delete(url, headers=camp.organizer.headers)).status_code == 200
    added = await audit_rows(connection, camp.id, action="person.tag_add")
    removed = await audit_rows(connection, camp.id, action="person.tag_remove")
    assert [e.object_ids for e in added + removed] == [[canvassed.bea["id"]]] * 2
    assert "bell-ringer" not in json.dumps([e.detail for e in added + removed])


async def test_no_entry_holds_what_bea_said_or_is(
    connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    entries = await sql(
        connection, "SELECT to_jsonb(a)::text FROM audit_entry a WHERE campaign_id = :c", c=camp.id
    )
    secrets = [s.lower() for s in BEA_SECRETS if s != "B1"]
    assert entries and not [e for e in entries if any(s in e[0].lower() for s in secrets)]


async def test_every_pull_of_a_walk_list_is_logged_the_304s_too(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, assigned: AssignedList
) -> None:
    url = f"{API}/walk_lists/{assigned.walk_list['id']}"
    fresh = await client.get(url, headers=camp.canvasser.headers)
    etag = {"If-None-Match": fresh.headers["ETag"]}
    same = await client.get(url, headers=camp.canvasser.headers | etag)
    assert (fresh.status_code, same.status_code) == (200, 304)
    pulls = await audit_rows(connection, camp.id, action="walk_list.pull")
    # the builder's pull, then these two
    assert [(p.object_ids, p.actor_user_id) for p in pulls] == [
        ([assigned.walk_list["id"]], camp.canvasser.id)
    ] * 3
    people = sum(len(s["people"]) for s in assigned.stops)
    assert [p.detail for p in pulls[1:]] == [
        {"people": people, "not_modified": False},
        {"people": people, "not_modified": True},
    ]


async def test_printing_a_sheet_and_typing_it_in_are_logged(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, assigned: AssignedList
) -> None:
    """A sheet carries names and addresses on paper; typing it in changes profiles."""
    list_id = assigned.walk_list["id"]
    sheet = await client.get(
        f"{API}/walk_lists/{list_id}/sheet.pdf", headers=camp.organizer.headers
    )
    assert sheet.status_code == 200
    entries = [{"line": line, "result": "NH"} for line in list(assigned.people_by_line())[:2]]
    entries.append({"line": 999, "result": "NH"})
    typed = await client.post(
        f"{API}/walk_lists/{list_id}/paper_entries",
        json={"entries": entries},
        headers=camp.data_entry.headers,
    )
    assert typed.status_code == 200, typed.text
    [printed] = await audit_rows(connection, camp.id, action="walk_list.sheet")
    assert (printed.object_ids, printed.actor_user_id) == ([list_id], camp.organizer.id)
    people = sum(len(s["people"]) for s in assigned.stops)
    assert printed.detail == {"people": people}
    [batch] = await audit_rows(connection, camp.id, action="paper.batch")
    assert (batch.object_ids, batch.actor_user_id) == ([list_id], camp.data_entry.id)
    assert batch.detail == {"created": 2, "rejected": 1}


async def test_a_results_upload_is_one_entry_naming_its_lists(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, assigned: AssignedList
) -> None:
    """A results file changes profiles like typed sheets: its job writes one entry."""
    number, list_id = assigned.walk_list["number"], assigned.walk_list["id"]
    sheet = f"list_number,line,result\n{number},1,NH\n{number},2,NH\n{number},999,NH\n"
    job = await run_import(
        client, camp.data_entry.headers, "canvass_results", sheet.encode(), "sheet.csv"
    )
    assert (job["status"], job["created"], job["rejected"]) == ("succeeded", 2, 1), job
    [upload] = await audit_rows(connection, camp.id, action="results.upload")
    assert (upload.object_ids, upload.actor_user_id) == ([list_id], camp.data_entry.id)
    assert upload.detail == {"created": 2, "duplicate": 0, "rejected": 1}


async def test_a_sync_batch_is_one_entry_with_counts_not_one_per_item(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, assigned: AssignedList
) -> None:
    walk_list, (door, amy) = assigned.walk_list, assigned.door_of("Amy")
    items = [
        sync_item(walk_list, door, amy),
        sync_item(walk_list, door, None, "not_home"),
        sync_item(walk_list, door, amy, result="no such result"),
    ]
    for _ in range(2):  # the second time, a phone's retry: duplicates
        assert (await send_sync(client, camp.canvasser.headers, items)).status_code == 200
    batches = await audit_rows(connection, camp.id, action="sync.batch")
    assert [(b.object_type, b.object_ids, b.detail) for b in batches] == [
        ("walk_list", [walk_list["id"]], {"created": 2, "duplicate": 0, "rejected": 1}),
        ("walk_list", [walk_list["id"]], {"created": 0, "duplicate": 2, "rejected": 1}),
    ]


async def test_a_list_code_guest_is_logged_by_the_name_they_gave(
    client: AsyncClient, connection: AsyncConnection, camp: CampaignFixture, assigned: AssignedList
) -> None:
    code = await create_list_code(client, camp, assigned.walk_list["id"])
    guest = await list_code_headers(client, code["code"], name="Sam Guest")
    door, dot = assigned.door_of("Dot")
    synced = await send_sync(client, guest, [sync_item(assigned.walk_list, door, dot)])
    assert synced.status_code == 200
    [batch] = await audit_rows(connection, camp.id, action="sync.batch")
    assert (batch.actor_user_id, batch.actor_guest, batch.actor_role) == (
        None,
        "Sam Guest",
        "canvasser",
    )


async def test_a_failed_request_leaves_no_entry(
    client: AsyncClient,
    connection: AsyncConnection,
    camp: CampaignFixture,
    other: CampaignFixture,
    canvassed: Knocked,
) -> None:
    before = await audit_rows(connection, camp.id)
    bea = canvassed.bea["id"]
    theirs = await client.get(f"{API}/people/{bea}", headers=other.organizer.headers)
    await erase(client, camp, bea)
    erased = await client.patch(
        f"{API}/people/{bea}", json={"phone": "1"}, headers=camp.organizer.headers
    )
    assert (theirs.status_code, erased.status_code) == (404, 409)
    after = await audit_rows(connection, camp.id)
    assert [e.action for e in after[len(before) :]] == ["person.erase"]
    assert await audit_rows(connection, other.id) == []


async def test_an_entry_commits_or_rolls_back_with_its_request(
    settings: Settings,
    sessionmaker: async_sessionmaker,
    connection: AsyncConnection,
    camp: CampaignFixture,
) -> None:
    """A request that records an entry and then fails: the entry goes with it."""
    app = create_app(settings, sessionmaker)

    @app.get("/test/read_then_fail")
    async def read_then_fail(session: SessionDep, tenant: Staff) -> None:
        await audit.record(session, tenant, "person.read", "person", [1])
        raise Conflict("the change failed after its entry was written")

    @app.get("/test/read")
    async def read(session: SessionDep, tenant: Staff) -> None:
        await audit.record(session, tenant, "person.read", "person", [2])

    async with app_client(app) as c:
        failed = await c.get("/test/read_then_fail", headers=camp.admin.headers)
        worked = await c.get("/test/read", headers=camp.admin.headers)
    assert (failed.status_code, worked.status_code) == (409, 200)
    assert [e.object_ids for e in await audit_rows(connection, camp.id)] == [[2]]


# Reading the log


async def test_only_admins_read_the_log(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    answers = {
        role: (await client.get(f"{API}/audit", headers=camp.member(role).headers)).status_code
        for role in Role
    }
    assert answers == {
        Role.admin: 200,
        Role.organizer: 403,
        Role.canvasser: 403,
        Role.data_entry: 403,
    }
    code = await create_list_code(client, camp, assigned.walk_list["id"])
    guest = await list_code_headers(client, code["code"])
    assert (await client.get(f"{API}/audit", headers=guest)).status_code == 403
    assert (await client.get(f"{API}/audit")).status_code == 401


async def test_an_admin_reads_only_their_campaigns_log(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, canvassed: Knocked
) -> None:
    bea = canvassed.bea["id"]
    mine = await client.get(f"{API}/audit", params={"limit": 500}, headers=camp.admin.headers)
    theirs = await client.get(
        f"{API}/audit", params={"object_id": bea}, headers=other.admin.headers
    )
    assert mine.json()["results"] and theirs.json() == {"results": [], "next": None}


async def test_the_log_reads_newest_first_page_by_page(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    url, headers = f"{API}/audit", camp.admin.headers
    everything = (await client.get(url, params={"limit": 500}, headers=headers)).json()
    ids = [e["id"] for e in everything["results"]]
    assert ids == sorted(ids, reverse=True) and everything["next"] is None
    paged: list[int] = []
    page = (await client.get(url, params={"limit": 3}, headers=headers)).json()
    while True:
        paged += [e["id"] for e in page["results"]]
        if not page["next"]:
            break
        page = (await client.get(page["next"], headers=headers)).json()
    assert paged == ids


async def test_the_log_filters_by_action_actor_object_and_time(
    client: AsyncClient, camp: CampaignFixture, canvassed: Knocked
) -> None:
    async def actions(**params: str | int) -> list[str]:
        response = await client.get(f"{API}/audit", params=params, headers=camp.admin.headers)
        assert response.status_code == 200, response.text
        return [e["action"] for e in response.json()["results"]]

    bea = canvassed.bea["id"]
    assert await actions(action="sync.batch") == ["sync.batch"]
    assert set(await actions(actor_user_id=camp.canvasser.id)) == {"walk_list.pull", "sync.batch"}
    assert await actions(object_type="person", object_id=bea) == [
        "person.tag_add",
        "person.update",
        "person.search",  # the world's builder listed everyone
    ]
    everything = await actions()
    assert await actions(since="2000-01-01T00:00:00Z", until="2999-01-01T00:00:00Z") == everything
    assert await actions(since="2999-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"object_id": 2**63}, id="object id out of range"),
        pytest.param({"actor_user_id": 0}, id="actor id zero"),
        pytest.param({"since": "yesterday"}, id="time not a time"),
        pytest.param({"limit": 501}, id="limit over 500"),
    ],
)
async def test_bad_filters_answer_422(
    client: AsyncClient, camp: CampaignFixture, params: dict[str, object]
) -> None:
    response = await client.get(f"{API}/audit", params=params, headers=camp.admin.headers)
    assert response.status_code == 422, response.text


# Append-only


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_entry SET action = 'nothing'", id="update"),
        pytest.param("DELETE FROM audit_entry", id="delete"),
        pytest.param("TRUNCATE audit_entry", id="truncate"),
    ],
)
async def test_the_database_refuses_to_rewrite_the_log(
    connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked, statement: str
) -> None:
    before = await audit_rows(connection, camp.id)
    with pytest.raises(DBAPIError, match="append-only"):
        async with connection.begin_nested():
            await sql(connection, statement)
    assert await audit_rows(connection, camp.id) == before


async def test_deleting_a_campaign_takes_its_log_along(
    connection: AsyncConnection, camp: CampaignFixture, canvassed: Knocked
) -> None:
    await sql(connection, "DELETE FROM campaign WHERE id = :c", c=camp.id)
    assert await audit_rows(connection, camp.id) == []
