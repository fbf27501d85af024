"""Printed walk sheet rendering: a 500-person list (250 doors), names in several scripts.

    make bench-sheet
    make bench-sheet BENCH_ARGS="--people 1000 --runs 10"

Prints p50/max render time (layout, QR codes, font subsetting: what `GET .../sheet.pdf` does
after its queries), pages and bytes. Target: under 2 s for 500 people.
"""

import argparse
import statistics
import time
from datetime import date

from app.schemas.walk_lists import WalkListPayload
from app.services.walk_lists.sheet_pdf import SheetData, render

NAMES = [("Nguyễn", "Thị Hương"), ("Müller", "Jürgen"), ("Παπαδόπουλος", "Δήμητρα"),
         ("Иванов", "Сергей"), ("O'Brien-Fitzgerald", "Alexandra"), ("כהן", "דוד"),
         ("Smith", "John"), ("García", "José")]  # fmt: skip


def sheet(people: int) -> SheetData:
    stops = []
    for door in range(people // 2):
        residents = [
            {"id": 2 * door + k, "line": 2 * door + k + 1, "first_name": NAMES[(door + k) % 8][1],
             "last_name": NAMES[(door + k) % 8][0], "age": 30 + k, "sex": "F", "party": "D",
             "support_level": None}
            for k in range(2)
        ]  # fmt: skip
        stops.append({"seq": door + 1, "household_id": door, "address": f"{2 * door + 1} Main St",
                      "unit": "2B" if door % 3 == 0 else None, "lon": -71.1, "lat": 42.37,
                      "people": residents})  # fmt: skip
    questions = [
        {"id": 1, "number": 1, "prompt": "Support?", "kind": "single_choice",
         "options": [{"id": i, "code": str(i), "label": f"Level {i}"} for i in range(1, 6)]},
        {"id": 2, "number": 2, "prompt": "Volunteer?", "kind": "single_choice",
         "options": [{"id": 6, "code": "Y", "label": "Yes"},
                     {"id": 7, "code": "N", "label": "No"}]},
        {"id": 3, "number": 3, "prompt": "Top issue", "kind": "text", "options": []},
    ]  # fmt: skip
    payload = WalkListPayload.model_validate({
        "id": 1, "number": "0001-0001", "name": "Bench", "version": 1, "route": None,
        "survey": {"id": 1, "name": "Door script", "questions": questions}, "stops": stops,
    })  # fmt: skip
    return SheetData(payload, "Bench campaign", "Bench turf", ["Carmen"], date.today(), 4200, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = sheet(args.people)
    render(data)  # warm-up: font parsing
    times, pdf = [], b""
    for _ in range(args.runs):
        started = time.perf_counter()
        pdf = render(data)
        times.append((time.perf_counter() - started) * 1000)
    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    print(f"walk sheet: {args.people} people, {args.people // 2} doors, {pages} pages, "
          f"{len(pdf):,} bytes")  # fmt: skip
    print(f"render p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms "
          f"over {args.runs} runs (target < 2000 ms for 500 people)")  # fmt: skip


if __name__ == "__main__":
    main()
