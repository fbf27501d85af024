"""Reading a voter-file CSV into validated, typed staging batches, vectorised with Arrow.

Per-row Python is too slow for a million-row file (the csv module alone manages ~230k rows/s
here, before any checking), so rows are parsed by Arrow's C++ CSV reader and checked column by
column with Arrow compute kernels. Python touches only three things per line: it prefixes the
physical line number (so every row, good or bad, knows its line), it tracks quotes so a
multi-line quoted value keeps one number, and it formats messages for the bad rows.

The output batches are CSV bytes for `COPY ... (FORMAT csv)` into the staging table; memory
stays bounded by the chunk size whatever the file's size.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from app.services.addresses import city_key, house_key, street_key, unit_key, zip_key

REQUIRED = ("voter_id", "first_name", "last_name", "house_number", "street")
OPTIONAL = (
    "middle_name", "suffix", "birth_date", "birth_year", "sex", "party", "phone", "email",
    "house_suffix", "unit", "city", "state", "zip", "lon", "lat", "precinct_code",
)  # fmt: skip
KNOWN = REQUIRED + OPTIONAL
TYPES = {"birth_date": "date", "birth_year": "int", "lon": "float8", "lat": "float8"}
MAX_ERRORS_KEPT = 1000
CHUNK_BYTES = 8 << 20
_LINE = "__line"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_YEAR_RE = r"^\d{4}$"
_NUMBER_RE = r"^[-+]?(\d{1,20}(\.\d*)?|\.\d+)([eE][-+]?\d{1,2})?$"


class CsvFileError(ValueError):
    """The file as a whole cannot be imported (no header, missing required columns...)."""


@dataclass
class ParseState:
    rows_read: int = 0
    bytes_read: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return len(self.rejected_lines)

    def reject(self, line: int, column: str | None, message: str) -> None:
        self.rejected_lines.add(line)
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "column": column, "message": message})


@dataclass
class Header:
    names: list[str]  # normalised, one per column of the file
    custom: list[str]  # custom field names (as written), in file order

    @property
    def present(self) -> set[str]:
        return {n for n in self.names if n in KNOWN}


def _normalise_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def parse_header(raw: bytes) -> Header:
    if not raw.strip():
        raise CsvFileError("the file is empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFileError(
            "line 1: the header is not valid UTF-8; save the file as UTF-8"
        ) from None
    cells = next(csv.reader([text]))
    names = [_normalise_name(c) for c in cells]
    seen: set[str] = set()
    for name in names:
        if not name:
            raise CsvFileError("line 1: every column needs a name in the header")
        if name in seen:
            raise CsvFileError(f"line 1: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise CsvFileError(
            "missing required column(s): " + ", ".join(missing)
            + "; required are " + ", ".join(REQUIRED)
        )  # fmt: skip
    custom = [c.strip() for c, n in zip(cells, names, strict=True) if n not in KNOWN]
    return Header(names=names, custom=custom)


def line_chunks(stream: IO[bytes], state: ParseState, size: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Blocks of whole lines, cut where no quoted value is open (an even count of quotes)."""
    rest = b""
    while True:
        block = stream.read(size)
        state.bytes_read += len(block)
        if not block:
            break
        data = rest + block
        cut = data.rfind(b"\n") + 1
        while cut and data.count(b'"', 0, cut) & 1:
            cut = data.rfind(b"\n", 0, cut - 1) + 1
        if not cut:
            rest = data
            continue
        yield data[:cut]
        rest = data[cut:]
    if rest:
        yield rest if rest.endswith(b"\n") else rest + b"\n"


def numbered(chunk: bytes, first_line: int) -> bytes:
    """Each record of the chunk prefixed with its physical line number; a quoted value that
    spans lines keeps the number of the line it starts on."""
    out: list[bytes] = []
    inside_quotes = False
    for number, raw in enumerate(chunk.splitlines(keepends=True), start=first_line):
        out.append(raw if inside_quotes else b"%d," % number + raw)
        if raw.count(b'"') & 1:
            inside_quotes = not inside_quotes
    return b"".join(out)


@dataclass
class Check:
    """One column's failing rows and how to word each failure."""

    column: str
    mask: pa.ChunkedArray | pa.Array
    message: Callable[[str], str]


class VoterCsvReader:
    """Turns a binary CSV stream into CSV bytes of good staging rows, chunk by chunk."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.state = ParseState()
        first = stream.readline()
        self.state.bytes_read += len(first)
        self.header = parse_header(first)
        self.today = date.today()
        self._stream = stream
        self._custom_cols = [n for n in self.header.names if n not in KNOWN]
        names = self.header.names

        def options(
            columns: list[str], handler: Callable[[Any], str], multiline: bool
        ) -> tuple[Any, Any, Any]:
            return (
                pacsv.ReadOptions(column_names=columns, block_size=CHUNK_BYTES * 2),
                pacsv.ParseOptions(
                    newlines_in_values=multiline,
                    ignore_empty_lines=False,
                    invalid_row_handler=handler,
                ),
                pacsv.ConvertOptions(
                    column_types={n: pa.binary() for n in columns},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )

        self._fast_failed = False
        self._plain_options = options(names, self._fast_invalid_row, multiline=False)
        self._numbered_options = options([_LINE, *names], self._invalid_row, multiline=True)
        self._width = len(self.header.names)

    @property
    def custom_names(self) -> list[str]:
        return self.header.custom

    @property
    def staging_columns(self) -> list[str]:
        return ["line", *KNOWN, "address_key", *[f"c{i}" for i in range(len(self.custom_names))]]

    def _fast_invalid_row(self, _row: Any) -> str:
        self._fast_failed = True
        return "skip"

    def _invalid_row(self, row: Any) -> str:
        line, _, rest = row.text.partition(",")
        if not rest.strip():
            return "skip"  # a blank line
        line = int(line) if line.isdigit() else 0
        self.state.rows_read += 1
        found = row.actual_columns - 1
        self.state.reject(line, None, f"expected {self._width} fields, found {found}")
        return "skip"

    def chunks(self) -> Iterator[bytes]:
        """CSV bytes (no header) of the good rows, in staging_columns order."""
        first_line = 2
        for chunk in line_chunks(self._stream, self.state):
            line_count = chunk.count(b"\n")
            table = self._fast_parse(chunk, line_count)
            if table is not None:
                lines = pa.array(range(first_line, first_line + line_count), pa.int64())
            else:  # rows broken across lines or of the wrong width: number every line
                table = self._read(numbered(chunk, first_line), self._numbered_options)
                lines = table[_LINE].combine_chunks().cast(pa.int64())
            first_line += line_count
            staged = self._stage(
                table.drop_columns([_LINE]) if _LINE in table.column_names else table, lines
            )
            if staged.num_rows:
                sink = pa.BufferOutputStream()
                pacsv.write_csv(staged, sink, pacsv.WriteOptions(include_header=False))
                yield sink.getvalue().to_pybytes()

    def _read(self, data: bytes, options: tuple[Any, Any, Any]) -> pa.Table:
        read, parse, convert = options
        return pacsv.read_csv(
            pa.py_buffer(data), read_options=read, parse_options=parse, convert_options=convert
        )

    def _fast_parse(self, chunk: bytes, line_count: int) -> pa.Table | None:
        """Parse assuming one row per line; None when that is not so for this chunk."""
        self._fast_failed = False
        table = self._read(chunk, self._plain_options)
        if self._fast_failed or table.num_rows != line_count:
            return None
        return table

    def _text(self, table: pa.Table, name: str, lines: pa.Array) -> pa.Array:
        """The column as trimmed UTF-8 text ('' where absent); invalid UTF-8 rows rejected."""
        if name not in table.column_names:
            return pa.array([""] * table.num_rows, pa.string())
        column = table[name].combine_chunks()
        try:
            text = column.cast(pa.string())
        except pa.ArrowInvalid:
            values = []
            for line, value in zip(lines.to_pylist(), column.to_pylist(), strict=True):
                try:
                    values.append(value.decode("utf-8"))
                except UnicodeDecodeError:
                    self.state.reject(line, name, "not valid UTF-8; save the file as UTF-8")
                    values.append(value.decode("utf-8", errors="replace"))
            text = pa.array(values, pa.string())
        return pc.utf8_trim_whitespace(text)

    def _stage(self, table: pa.Table, lines: pa.Array) -> pa.Table:
        if table.num_rows == 0:
            return table
        cols = {name: self._text(table, name, lines) for name in KNOWN}
        custom = [self._text(table, name, lines) for name in self._custom_cols]
        # A row of empty cells (",,,,") is a blank line in a spreadsheet's export: skipped.
        keep_rows = pc.equal(cols["voter_id"], "")
        for column in [*cols.values(), *custom]:
            keep_rows = pc.and_(keep_rows, pc.equal(column, ""))
        keep_rows = pc.invert(keep_rows)
        lines = lines.filter(keep_rows)
        cols = {k: v.filter(keep_rows) for k, v in cols.items()}
        custom = [c.filter(keep_rows) for c in custom]
        self.state.rows_read += len(lines)

        typed, checks = self._typed(cols)
        rejected = pa.array(sorted(self.state.rejected_lines), pa.int64())
        bad = pc.is_in(lines, value_set=rejected)  # rows with bad UTF-8
        for check in checks:
            mask = pc.fill_null(check.mask, False)
            for index in pc.indices_nonzero(mask).to_pylist():
                self.state.reject(
                    lines[index].as_py(),
                    check.column,
                    check.message(cols[check.column][index].as_py()),
                )
            bad = pc.or_(bad, mask)
        good = pc.invert(bad)

        out: dict[str, pa.Array] = {"line": lines}
        for name in KNOWN:
            out[name] = typed.get(name, _null_empty(cols[name]))
        out["address_key"] = _address_keys(cols)
        for i, column in enumerate(custom):
            out[f"c{i}"] = _null_empty(column)
        return pa.table(out).filter(good)

    def _typed(self, cols: dict[str, pa.Array]) -> tuple[dict[str, pa.Array], list[Check]]:
        """Typed birth_date, birth_year, lon and lat, and every check on the row's cells."""
        checks = [
            Check(name, pc.equal(cols[name], ""), lambda _v: "required value is empty")
            for name in REQUIRED
        ]
        given = {
            name: pc.not_equal(cols[name], "")
            for name in ("birth_date", "birth_year", "lon", "lat")
        }

        text = cols["birth_date"]
        shaped = pc.match_substring_regex(text, _DATE_RE)
        parsed = pc.strptime(
            pc.if_else(shaped, text, None), format="%Y-%m-%d", unit="s", error_is_null=True
        )
        birth_date = parsed.cast(pa.date32())
        # strptime rolls 2020-02-30 over to March 1st: the day must survive the round trip.
        day_given = pc.if_else(shaped, pc.utf8_slice_codeunits(text, 8, 10), None).cast(pa.int64())
        real_day = pc.equal(pc.day(parsed), day_given)
        checks.append(
            Check(
                "birth_date",
                pc.and_(given["birth_date"], pc.invert(shaped)),
                lambda v: f"invalid date {v!r}; expected YYYY-MM-DD",
            )
        )
        checks.append(
            Check(
                "birth_date",
                pc.and_(shaped, pc.invert(pc.fill_null(real_day, False))),
                lambda v: f"invalid date {v!r}: no such day",
            )
        )
        year_of_date = pc.year(birth_date)
        checks.append(
            Check("birth_date", pc.less(year_of_date, 1800), lambda v: f"invalid date {v!r}")
        )
        checks.append(
            Check(
                "birth_date",
                pc.greater(birth_date, pa.scalar(self.today, pa.date32())),
                lambda v: f"birth date {v!r} is in the future",
            )
        )

        text = cols["birth_year"]
        shaped = pc.match_substring_regex(text, _YEAR_RE)
        birth_year = pc.if_else(shaped, text, None).cast(pa.int32())
        checks.append(
            Check(
                "birth_year",
                pc.and_(given["birth_year"], pc.invert(shaped)),
                lambda v: f"invalid year {v!r}; expected four digits",
            )
        )
        checks.append(
            Check(
                "birth_year",
                pc.or_(pc.less(birth_year, 1800), pc.greater(birth_year, self.today.year)),
                lambda v: f"year {v} out of range",
            )
        )
        birth_year = pc.coalesce(birth_year, year_of_date.cast(pa.int32()))

        typed = {"birth_date": birth_date, "birth_year": birth_year}
        for name, other, bound in (("lon", "lat", 180), ("lat", "lon", 90)):
            text = cols[name]
            shaped = pc.match_substring_regex(text, _NUMBER_RE)
            number = pc.if_else(shaped, text, None).cast(pa.float64())
            checks.append(
                Check(
                    name,
                    pc.and_(pc.invert(given[name]), given[other]),
                    lambda _v, o=other, n=name: f"{o} is given without {n}",
                )
            )
            checks.append(
                Check(
                    name, pc.and_(given[name], pc.invert(shaped)), lambda v: f"not a number: {v!r}"
                )
            )
            checks.append(
                Check(
                    name,
                    pc.greater(pc.abs(number), bound),
                    lambda v, n=name, b=bound: f"{n} {v} out of range [-{b}, {b}]",
                )
            )
            typed[name] = number
        return typed, checks


def _null_empty(column: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(column, ""), None, column)


def _map_unique(column: pa.Array, fn: Callable[[str], str]) -> pa.Array:
    """Apply a Python function once per distinct value, then spread the results back."""
    encoded = column.dictionary_encode()
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return mapped.take(encoded.indices)


def _address_keys(cols: dict[str, pa.Array]) -> pa.Array:
    """The household key of each row (see services.addresses), computed per distinct part."""
    house = pc.binary_join_element_wise(cols["house_number"], cols["house_suffix"], "\x1f")
    parts = [
        _map_unique(house, lambda v: house_key(*v.split("\x1f"))),
        _map_unique(cols["street"], street_key),
        _map_unique(cols["unit"], unit_key),
        _map_unique(cols["city"], city_key),
        _map_unique(cols["zip"], zip_key),
    ]
    return pc.binary_join_element_wise(*parts, "|")
