"""Reading a voter-file CSV into validated, typed staging batches, vectorised with Arrow.

Per-row Python is too slow for a million-row file (the csv module alone, before any checking,
is the bottleneck), so rows are parsed by Arrow's C++ CSV reader and checked column by
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

from app.services.import_outcome import LineProblem
from app.services.voter_file.cell_checks import (
    KNOWN,
    REQUIRED,
    address_keys,
    null_empty,
    typed_cells,
)

MAX_ERRORS_KEPT = 1000
CHUNK_BYTES = 8 << 20
_LINE = "__line"


Options = tuple[pacsv.ReadOptions, pacsv.ParseOptions, pacsv.ConvertOptions]


class CsvFileError(ValueError):
    """The file as a whole cannot be imported (no header, missing required columns...)."""


@dataclass
class ParseState:
    rows_read: int = 0
    bytes_read: int = 0
    rejected_lines: set[int] = field(default_factory=set)
    errors: list[LineProblem] = field(default_factory=list)

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
    """The file's header line as column names; CsvFileError when the file cannot be read."""
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

        def options(columns: list[str], handler: Callable[[Any], str], multiline: bool) -> Options:
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

    def _read(self, data: bytes, options: Options) -> pa.Table:
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

        typed, checks = typed_cells(cols, self.today)
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
            out[name] = typed.get(name, null_empty(cols[name]))
        out["address_key"] = address_keys(cols)
        for i, column in enumerate(custom):
            out[f"c{i}"] = null_empty(column)
        return pa.table(out).filter(good)
