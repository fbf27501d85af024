"""Reading a voter-file CSV into validated, typed staging batches, vectorised with Arrow.

Per-row Python is too slow for a million-row file (the csv module alone, before any checking,
is the bottleneck), so rows are parsed by Arrow's C++ CSV reader and checked column by
column with Arrow compute kernels. Where records start is read from the quotes with numpy
(`quotes`), in linear time, so a multi-line quoted value keeps one line number and a stray
quote (`Jo"e`) rejects its own row and nothing else. Python prefixes physical line numbers
only when rows span lines or have the wrong width, and formats messages for the bad rows.

The output batches are CSV bytes for `COPY ... (FORMAT csv)` into the staging table; memory
stays bounded by the chunk size whatever the file's size.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from app.services.import_outcome import LineProblem
from app.services.voter_file.cell_checks import (
    KNOWN,
    MAX_CUSTOM_LENGTH,
    REQUIRED,
    address_keys,
    null_empty,
    too_long,
    typed_cells,
)
from app.services.voter_file.quotes import QuoteScan
from app.services.voter_file.quotes import scan as quote_scan

MAX_ERRORS_KEPT = 1000
CHUNK_BYTES = 8 << 20
# One record (a row with a quoted value over several lines) is never longer than this.
MAX_RECORD_BYTES = 1 << 20
# Columns that are not the documented ones become custom fields: at most this many.
MAX_CUSTOM_COLUMNS = 200
MAX_COLUMN_NAME = 100
STRAY_QUOTE = (
    "a quote inside a value that is not quoted; quote the whole value and double the quote "
    '(Jo"e is written "Jo""e")'
)
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
    if "\x00" in text:
        raise CsvFileError("line 1: the header holds a NUL character")
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
    if len(custom) > MAX_CUSTOM_COLUMNS:
        raise CsvFileError(
            f"line 1: {len(custom)} columns are not voter-file fields and would become custom "
            f"fields; at most {MAX_CUSTOM_COLUMNS} (remove the columns you do not need)"
        )
    long = [c for c in custom if len(c) > MAX_COLUMN_NAME]
    if long:
        raise CsvFileError(
            f"line 1: column name {long[0][:40]!r}... is longer than {MAX_COLUMN_NAME} characters"
        )
    return Header(names=names, custom=custom)


@dataclass
class Chunk:
    """Whole records: the bytes, their quote scan, and the line number of the first."""

    data: bytes
    scan: QuoteScan
    first_line: int


def line_chunks(
    stream: IO[bytes],
    state: ParseState,
    size: int = CHUNK_BYTES,
    first_line: int = 2,
    max_record: int = MAX_RECORD_BYTES,
) -> Iterator[Chunk]:
    """Blocks of whole records, cut after a line where no quoted value is open (`quotes`).

    Linear in the file: each block is scanned once with what was left over from the previous
    one, and the leftover (one unfinished record) is bounded by `max_record`. A record that
    runs past it means a quote that never closes: the file fails with the line it starts on.
    """
    rest = b""
    while block := stream.read(size):
        state.bytes_read += len(block)
        data = rest + block
        # whole lines; a CR at the very end may be the first half of a CR LF
        whole = max(data.rfind(b"\n"), data.rfind(b"\r", 0, len(data) - 1)) + 1
        scan = quote_scan(data[:whole])
        closed = np.flatnonzero(scan.closed_after)
        if closed.size:
            lines = int(closed[-1]) + 1
            cut = int(scan.line_ends[lines - 1]) + 1
            yield Chunk(data[:cut], scan.head(lines), first_line)
            first_line += lines
            rest = data[cut:]
        else:
            rest = data
        if len(rest) > max_record:
            raise CsvFileError(
                f"line {first_line}: a quoted value starts on this line or soon after and is "
                f"still open {max_record // 1024} KB later; look for a quote that is not closed"
            )
    if rest:
        if not rest.endswith((b"\n", b"\r")):
            rest += b"\n"
        yield Chunk(rest, quote_scan(rest), first_line)


def numbered(chunk: bytes, first_line: int, record_starts: Any) -> bytes:
    """Each record of the chunk prefixed with its physical line number; a quoted value that
    spans lines keeps the number of the line it starts on (`record_starts`, per line)."""
    out: list[bytes] = []
    lines = chunk.splitlines(keepends=True)
    for index, (raw, starts) in enumerate(zip(lines, record_starts, strict=True)):
        out.append(b"%d," % (first_line + index) + raw if starts else raw)
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
        self._nul_in_chunk = False
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
        for chunk in line_chunks(self._stream, self.state):
            first_line, line_count = chunk.first_line, chunk.scan.lines
            self._reject_strays(chunk)
            self._nul_in_chunk = b"\x00" in chunk.data
            table = self._fast_parse(chunk.data, line_count)
            if table is not None:
                lines = pa.array(range(first_line, first_line + line_count), pa.int64())
            else:  # rows broken across lines or of the wrong width: number every record
                data = numbered(chunk.data, first_line, chunk.scan.record_starts)
                table = self._read(data, self._numbered_options)
                lines = table[_LINE].combine_chunks().cast(pa.int64())
            staged = self._stage(
                table.drop_columns([_LINE]) if _LINE in table.column_names else table, lines
            )
            if staged.num_rows:
                sink = pa.BufferOutputStream()
                pacsv.write_csv(staged, sink, pacsv.WriteOptions(include_header=False))
                yield sink.getvalue().to_pybytes()

    def _reject_strays(self, chunk: Chunk) -> None:
        """Reject each record holding a stray quote, naming its column when it can."""
        scan = chunk.scan
        if not scan.strays.size:
            return
        starts = np.flatnonzero(scan.record_starts)
        seen: set[int] = set()
        for offset in scan.strays.tolist():
            record = int(starts[np.searchsorted(starts, scan.line_of(offset), side="right") - 1])
            if record in seen:
                continue
            seen.add(record)
            begin = int(scan.line_ends[record - 1]) + 1 if record else 0
            self.state.reject(
                chunk.first_line + record, self._column_at(chunk.data[begin:offset]), STRAY_QUOTE
            )

    def _column_at(self, record_prefix: bytes) -> str | None:
        """The column of the field that `record_prefix` (a record up to some byte) ends in."""
        try:
            cells = next(csv.reader([record_prefix.decode("latin-1")]), [""])
        except csv.Error:
            return None
        index = len(cells) - 1
        return self.header.names[index] if 0 <= index < self._width else None

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
        if self._nul_in_chunk:  # PostgreSQL text cannot hold NUL
            nul = pc.fill_null(pc.match_substring(text, "\x00"), False)
            for index in pc.indices_nonzero(nul).to_pylist():
                self.state.reject(lines[index].as_py(), name, "contains a NUL character")
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
        for name, column in zip(self.custom_names, custom, strict=True):
            long = pc.fill_null(too_long(column, MAX_CUSTOM_LENGTH), False)
            for index in pc.indices_nonzero(long).to_pylist():
                message = f"longer than {MAX_CUSTOM_LENGTH} characters"
                self.state.reject(lines[index].as_py(), name, message)
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
