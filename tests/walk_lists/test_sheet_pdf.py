"""Printed walk sheets: read back (pages, text, QR codes), paper sizes, Unicode names, roles."""

import io
from datetime import date
from typing import Any

import pypdfium2
import pytest
import zxingcpp
from httpx import AsyncClient
from pypdf import PdfReader

from app.schemas.walk_lists import WalkListPayload
from app.services.walk_lists.sheet_pdf import SheetData, qr_text, render
from tests.builders import (
    API,
    AssignedList,
    CampaignFixture,
    create_list_code,
    list_code_headers,
    resident,
    upload_voters,
    voter_csv,
)

MM = 72 / 25.4  # PDF points per millimetre


def qr_codes(pdf: bytes, page: int) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=3).to_pil()
        return [code.text for code in zxingcpp.read_barcodes(image)]
    finally:
        document.close()


def page_size_mm(pdf: bytes) -> tuple[int, int]:
    width, height = (float(x) for x in PdfReader(io.BytesIO(pdf)).pages[0].mediabox[2:])
    return round(width / MM), round(height / MM)


@pytest.fixture
async def fresh_list(client: AsyncClient, camp: CampaignFixture, assigned: AssignedList) -> dict:
    """A list built after Thị Hương Nguyễn (8 Oak St) joined the voter file: its summary."""
    extra = resident("U1", "Thị Hương Nguyễn", "8 Oak St")
    await upload_voters(client, camp.organizer.headers, voter_csv([extra]))
    body = {"turf_id": assigned.walk_list["turf_id"], "survey_id": assigned.walk_list["survey_id"]}
    response = await client.post(f"{API}/walk_lists", json=body, headers=camp.organizer.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_sheet_is_one_letter_page_with_names_codes_and_a_qr_code(
    client: AsyncClient, camp: CampaignFixture, fresh_list: dict
) -> None:
    response = await client.get(
        f"{API}/walk_lists/{fresh_list['id']}/sheet.pdf", headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    assert page_size_mm(response.content) == (216, 279)  # US letter
    text = reader.pages[0].extract_text()
    assert f"walk list {fresh_list['number']}" in text and "page 1 of 1" in text
    assert "Nguyễn, Thị Hương" in text and "NH not home" in text
    assert "Q1 Will you support Jane?" in text
    assert "Y Yes" in text  # the option codes of question 2
    assert qr_codes(response.content, 0) == [qr_text(fresh_list["id"], 1)]


async def test_a_sheet_comes_on_a4_on_request(
    client: AsyncClient, camp: CampaignFixture, fresh_list: dict
) -> None:
    a4 = await client.get(
        f"{API}/walk_lists/{fresh_list['id']}/sheet.pdf",
        params={"paper": "a4"},
        headers=camp.data_entry.headers,
    )
    assert page_size_mm(a4.content) == (210, 297)


async def test_the_lines_on_the_sheet_are_the_lines_of_the_phone_payload(
    client: AsyncClient, camp: CampaignFixture, assigned: AssignedList
) -> None:
    """In the same order."""
    sheet = await client.get(
        f"{API}/walk_lists/{assigned.walk_list['id']}/sheet.pdf", headers=camp.canvasser.headers
    )
    rows = PdfReader(io.BytesIO(sheet.content)).pages[0].extract_text()
    people = [p for s in assigned.stops for p in s["people"]]
    positions = [rows.index(f"{p['last_name']}, {p['first_name']}") for p in people]
    assert positions == sorted(positions)


async def test_sheet_roles_and_bad_paper(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture, assigned: AssignedList
) -> None:
    list_id = assigned.walk_list["id"]  # assigned to camp.canvasser
    url = f"{API}/walk_lists/{list_id}/sheet.pdf"
    for member in (camp.admin, camp.organizer, camp.data_entry, camp.canvasser):
        assert (await client.get(url, headers=member.headers)).status_code == 200
    guest = await list_code_headers(client, (await create_list_code(client, camp, list_id))["code"])
    assert (await client.get(url, headers=guest)).status_code == 403
    assert (await client.get(url, headers=other.organizer.headers)).status_code == 404
    await client.delete(
        f"{API}/walk_lists/{list_id}/assignments/{camp.canvasser.id}",
        headers=camp.organizer.headers,
    )
    assert (await client.get(url, headers=camp.canvasser.headers)).status_code == 404
    bad = await client.get(url, params={"paper": "legal"}, headers=camp.organizer.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.paper"


def sample(doors: int, per_door: int, questions: int = 3) -> SheetData:
    """A sheet of `doors` doors on Main St with `per_door` people each (Jürgen, then Δήμητρα),
    and a survey of `questions` single-choice questions of three options."""

    def person(door: int, k: int) -> dict[str, Any]:
        n = door * per_door + k
        return {
            "id": n,
            "line": n + 1,
            "first_name": "Δήμητρα" if k else "Jürgen",
            "last_name": f"Doe{door}",
            "age": 40,
            "sex": "F",
            "party": "U",
            "support_level": None,
        }

    def question(q: int) -> dict[str, Any]:
        options = [{"id": 10 * q + o, "code": str(o), "label": f"Option {o}"} for o in range(1, 4)]
        return {
            "id": q,
            "number": q,
            "prompt": f"Question {q}",
            "kind": "single_choice",
            "options": options,
        }

    stops = [
        {
            "seq": d + 1,
            "household_id": d,
            "address": f"{2 * d + 1} Main St",
            "unit": None,
            "lon": -71.1,
            "lat": 42.37,
            "people": [person(d, k) for k in range(per_door)],
        }
        for d in range(doors)
    ]
    survey = {"id": 1, "name": "s", "questions": [question(q) for q in range(1, questions + 1)]}
    payload = WalkListPayload.model_validate(
        {
            "id": 77,
            "number": "0001-0077",
            "name": "Main",
            "version": 1,
            "route": None,
            "survey": survey,
            "stops": stops,
        }
    )
    return SheetData(payload, "Campaign", "Turf", ["Ann"], date(2026, 11, 3), 1234.0, 42.0)


def test_long_sheets_number_their_pages_and_keep_doors_together() -> None:
    pdf = render(sample(doors=100, per_door=3))
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 5
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"page {n} of {pages}" in text and "route 1.2 km, about 42 min" in text
        # Each page starts with a door's first person: the lines on a page come in threes.
        rows = [t for t in text.splitlines() if t.split()[0].isdigit() and " Main St" in t]
        lines = [int(t.split()[0]) for t in rows]
        assert lines and all((line - 1) % 3 == 0 for line in lines)
    assert qr_codes(pdf, pages - 1) == [qr_text(77, pages)]


def test_many_questions_turn_the_page_to_landscape() -> None:
    portrait = PdfReader(io.BytesIO(render(sample(5, 1, questions=3)))).pages[0].mediabox
    landscape = PdfReader(io.BytesIO(render(sample(5, 1, questions=12)))).pages[0].mediabox
    assert float(portrait[2]) < float(portrait[3]) and float(landscape[2]) > float(landscape[3])
