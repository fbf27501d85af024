"""Printed walk sheets: read back (pages, text, QR codes), paper sizes, Unicode names, roles."""

import io
from datetime import date

import pypdfium2
import zxingcpp
from httpx import AsyncClient
from pypdf import PdfReader

from app.schemas.walk_lists import WalkListPayload
from app.services.walk_lists.sheet_pdf import SheetData, qr_text, render
from tests.canvass.test_phone_sync import ready
from tests.conftest import CampaignFixture
from tests.helpers import API, upload_voters, voter, voter_csv
from tests.walk_lists.test_list_codes import guest, new_code

MM = 72 / 25.4  # PDF points per millimetre


def qr_codes(pdf: bytes, page: int) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=3).to_pil()
        return [code.text for code in zxingcpp.read_barcodes(image)]
    finally:
        document.close()


async def test_sheet_lists_every_line_with_a_qr_code(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    _, walk_list, payload = await ready(client, camp)
    extra = voter("U1", first_name="Thị Hương", last_name="Nguyễn", street="Oak St",
                  house_number="8")  # fmt: skip
    await upload_voters(client, camp.organizer.headers, voter_csv([extra]))
    # A list built after the import carries the new name.
    body = {"turf_id": walk_list["turf_id"], "survey_id": walk_list["survey_id"]}
    fresh = (await client.post(f"{API}/walk_lists", json=body,
                               headers=camp.organizer.headers)).json()  # fmt: skip

    response = await client.get(
        f"{API}/walk_lists/{fresh['id']}/sheet.pdf", headers=camp.organizer.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width / MM), round(height / MM)) == (216, 279)  # US letter
    text = reader.pages[0].extract_text()
    assert f"walk list {fresh['number']}" in text and "page 1 of 1" in text
    assert "Nguyễn, Thị Hương" in text and "NH not home" in text
    assert "Q1 Will you support Jane?" in text
    assert "Y Yes" in text  # the option codes of question 2
    assert qr_codes(response.content, 0) == [qr_text(fresh["id"], 1)]

    a4 = await client.get(f"{API}/walk_lists/{fresh['id']}/sheet.pdf", params={"paper": "a4"},
                          headers=camp.data_entry.headers)  # fmt: skip
    width, height = (float(x) for x in PdfReader(io.BytesIO(a4.content)).pages[0].mediabox[2:])
    assert (round(width / MM), round(height / MM)) == (210, 297)

    # The lines on the sheet are the lines of the phone payload, in the same order.
    original = await client.get(f"{API}/walk_lists/{walk_list['id']}/sheet.pdf",
                                headers=camp.canvasser.headers)  # fmt: skip
    rows = PdfReader(io.BytesIO(original.content)).pages[0].extract_text()
    people = [p for s in payload["stops"] for p in s["people"]]
    positions = [rows.index(f"{p['last_name']}, {p['first_name']}") for p in people]
    assert positions == sorted(positions)


async def test_sheet_roles_and_bad_paper(
    client: AsyncClient, camp: CampaignFixture, other: CampaignFixture
) -> None:
    _, walk_list, _ = await ready(client, camp)  # assigned to camp.canvasser
    url = f"{API}/walk_lists/{walk_list['id']}/sheet.pdf"
    for member in (camp.admin, camp.organizer, camp.data_entry, camp.canvasser):
        assert (await client.get(url, headers=member.headers)).status_code == 200
    headers = await guest(client, (await new_code(client, camp, walk_list["id"]))["code"])
    assert (await client.get(url, headers=headers)).status_code == 403
    assert (await client.get(url, headers=other.organizer.headers)).status_code == 404
    await client.delete(f"{API}/walk_lists/{walk_list['id']}/assignments/{camp.canvasser.id}",
                        headers=camp.organizer.headers)  # fmt: skip
    assert (await client.get(url, headers=camp.canvasser.headers)).status_code == 404
    bad = await client.get(url, params={"paper": "legal"}, headers=camp.organizer.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.paper"


def sample(doors: int, per_door: int, questions: int = 3) -> SheetData:
    stops = [
        {"seq": d + 1, "household_id": d, "address": f"{2 * d + 1} Main St", "unit": None,
         "lon": -71.1, "lat": 42.37,
         "people": [{"id": d * per_door + k, "line": d * per_door + k + 1,
                     "first_name": "Δήμητρα" if k else "Jürgen", "last_name": f"Doe{d}",
                     "age": 40, "sex": "F", "party": "U", "support_level": None}
                    for k in range(per_door)]}
        for d in range(doors)
    ]  # fmt: skip
    survey = {"id": 1, "name": "s", "questions": [
        {"id": q, "number": q, "prompt": f"Question {q}", "kind": "single_choice",
         "options": [{"id": 10 * q + o, "code": str(o), "label": f"Option {o}"}
                     for o in range(1, 4)]}
        for q in range(1, questions + 1)
    ]}  # fmt: skip
    payload = WalkListPayload.model_validate(
        {"id": 77, "number": "0001-0077", "name": "Main", "version": 1, "route": None,
         "survey": survey, "stops": stops}
    )  # fmt: skip
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
        lines = [int(t.split()[0]) for t in text.splitlines() if t.split()[0].isdigit()
                 and " Main St" in t]  # fmt: skip
        assert lines and all((line - 1) % 3 == 0 for line in lines)
    assert qr_codes(pdf, pages - 1) == [qr_text(77, pages)]


def test_many_questions_turn_the_page_to_landscape() -> None:
    portrait = PdfReader(io.BytesIO(render(sample(5, 1, questions=3)))).pages[0].mediabox
    landscape = PdfReader(io.BytesIO(render(sample(5, 1, questions=12)))).pages[0].mediabox
    assert float(portrait[2]) < float(portrait[3]) and float(landscape[2]) > float(landscape[3])
