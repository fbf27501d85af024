"""Voter files with odd input (issue 11, items 5, 8 and 16): a stray quote (`Jo"e`) costs
linear time and rejects its own row only; a NUL rejects its row; too many custom columns fail
the file with the reason; an unclosed quote fails it with the line. Good rows always load."""

import csv
import io
import time

from httpx import AsyncClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.voter_file.csv_reader import (
    MAX_CUSTOM_COLUMNS,
    CsvFileError,
    VoterCsvReader,
    line_chunks,
)
from app.services.voter_file.quotes import scan
from tests.builders import CampaignFixture, upload_voters, voter, voter_csv

HEADER = "voter_id,first_name,last_name,house_number,street,city\n"


def voter_file(rows: int, stray_on_line_2: bool) -> bytes:
    """About 84 bytes a row: 120,000 rows are a 10 MB file."""
    lines = [HEADER]
    for i in range(rows):
        first = 'Jo"e' if stray_on_line_2 and i == 0 else "Joe"
        lines.append(
            f"V{i:09d},{first},Doe-Smithers{i},{i % 900 + 1},Massachusetts Avenue,Cambridge\n"
        )
    return "".join(lines).encode()


def read_all(content: bytes) -> tuple[VoterCsvReader, int, float]:
    """Parse and check a file as the import does (no database): the reader, the rows it would
    load and the seconds it took."""
    started = time.perf_counter()
    reader = VoterCsvReader(io.BytesIO(content))
    staged = sum(chunk.count(b"\n") for chunk in reader.chunks())
    return reader, staged, time.perf_counter() - started


def test_a_stray_quote_in_a_10_mb_file_costs_no_more_than_a_clean_file() -> None:
    """It cost 4x per doubling of the file (12 s for 1.2 MB): quotes were recounted from the
    start of the block for every line. The same file clean and with `Jo"e` on line 2 must take
    about as long; the factor is generous (a quadratic reader is 100x slower here)."""
    clean, stray = voter_file(150_000, False), voter_file(150_000, True)
    assert len(clean) > 10_000_000
    read_all(voter_file(1000, False))  # warm up Arrow
    _, clean_rows, clean_s = read_all(clean)
    reader, stray_rows, stray_s = read_all(stray)
    assert (clean_rows, stray_rows) == (150_000, 149_999)
    assert stray_s < 3 * clean_s + 0.5, (clean_s, stray_s)
    [error] = reader.state.errors
    assert (error["line"], error["column"]) == (2, "first_name")
    assert "quote" in error["message"]


def test_the_chunks_of_a_file_with_a_stray_quote_stay_small() -> None:
    """The quote does not open a value that runs to the end of the file: chunks are cut at the
    block size, as for a clean file."""
    reader = VoterCsvReader(io.BytesIO(voter_file(30_000, True)))
    chunks = list(line_chunks(reader._stream, reader.state, size=256 * 1024))
    assert len(chunks) >= 7
    assert max(len(c.data) for c in chunks) < 300 * 1024
    assert sum(c.scan.lines for c in chunks) == 30_000


def test_a_quote_that_never_closes_fails_the_file_with_its_line() -> None:
    content = HEADER.encode() + b'V1,"Jo,Doe,1,Main St,X\n' + b"V2,Al,Lee,2,Main St,X\n" * 60_000
    reader = VoterCsvReader(io.BytesIO(content))
    try:
        list(reader.chunks())
    except CsvFileError as exc:
        assert str(exc).startswith("line 2:") and "quote" in str(exc)
    else:
        raise AssertionError("an unclosed quote must fail the file")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.text(alphabet='ab, "\n', max_size=6).map(
                    lambda v: '"' + v.replace('"', '""') + '"'
                ),
                st.text(alphabet="ab ", max_size=4),
                st.sampled_from(['Jo"e', 'x"', "5'11\"", 'a""b']),
            ),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_records_start_where_the_csv_module_says(rows: list[list[str]]) -> None:
    """Quoted values with commas, quotes and line breaks, and stray quotes inside unquoted
    values: the lines where records start agree with Python's csv module (whose rules are the
    parser's: a quote opens a value only at the start of a field)."""
    text = "".join(",".join(row) + "\n" for row in rows)
    reader = csv.reader(io.StringIO(text, newline=""))
    expected: list[int] = []
    line = 0
    for _ in reader:
        expected.append(line)
        line = reader.line_num
    found = scan(text.encode())
    starts = [i for i, s in enumerate(found.record_starts.tolist()) if s]
    if found.closed_after[-1]:  # a value still open at the end: the csv module fails there
        assert starts == expected


async def test_a_bad_row_never_fails_the_whole_import(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    content = (
        voter_csv([voter("V1"), voter("V2")])
        + b'V3,Jo"e,Lee,1980-05-17,F,D,12,Main Street,,Cambridge,02139,-71.095,42.375\n'
        + b"V4,Ann\x00,Lee,1980-05-17,F,D,12,Main Street,,Cambridge,02139,-71.095,42.375\n"
        + b"V5,Ann,Lee,1980-05-17,F,D,12,Main\x00Street,,Cambridge,02139,,\n"
        + voter_csv([voter("V6")]).split(b"\n", 1)[1]
    )
    job = await upload_voters(client, camp.organizer.headers, content)
    assert job["status"] == "succeeded", job
    assert (job["created"], job["rejected"]) == (3, 3), job
    assert {(e["line"], e["column"]) for e in job["errors"]} == {
        (4, "first_name"),
        (5, "first_name"),
        (6, "street"),
    }


async def test_too_many_custom_columns_fail_the_file_with_the_reason(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    extra = [f"custom_{i}" for i in range(2000)]
    header = "voter_id,first_name,last_name,house_number,street," + ",".join(extra)
    row = "V1,Ann,Lee,12,Main St," + ",".join("x" for _ in extra)
    job = await upload_voters(client, camp.organizer.headers, f"{header}\n{row}\n".encode())
    assert job["status"] == "failed"
    assert "2000 columns" in job["message"] and f"at most {MAX_CUSTOM_COLUMNS}" in job["message"]


async def test_a_custom_column_name_with_a_nul_fails_the_file(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    content = b"voter_id,first_name,last_name,house_number,street,no\x00te\nV1,A,B,1,Main St,x\n"
    job = await upload_voters(client, camp.organizer.headers, content)
    assert job["status"] == "failed" and "NUL" in job["message"], job


async def test_cells_longer_or_older_than_any_real_one_are_rejected(
    client: AsyncClient, camp: CampaignFixture
) -> None:
    columns = ["voter_id", "first_name", "last_name", "house_number", "street", "phone"]
    columns += ["birth_date", "shoe_size"]
    rows = [
        voter("V1", phone="+1 617 555 0100", shoe_size="9"),
        voter("V2", phone="5" * 4000),
        voter("V3", first_name="A" * 201),
        voter("V4", birth_date="1850-01-01"),
        voter("V5", shoe_size="x" * 1001),
    ]
    job = await upload_voters(client, camp.organizer.headers, voter_csv(rows, columns))
    assert job["status"] == "succeeded", job
    assert (job["created"], job["rejected"]) == (1, 4), job
    assert {(e["line"], e["column"]) for e in job["errors"]} == {
        (3, "phone"),
        (4, "first_name"),
        (5, "birth_date"),
        (6, "shoe_size"),
    }
    assert all(len(e["message"]) < 100 for e in job["errors"])  # the value is not repeated
