"""Where a CSV's records start, read from its quotes in linear time (numpy, no per-byte Python).

The voter-file reader needs, for each physical line, whether a record starts there (a quoted
value can hold line breaks), both to cut the file into chunks between records and to number
records by the line they start on. Counting quotes per line is not enough: a quote inside an
unquoted value (`Jo"e`) is a literal character to a CSV parser, and treating it as an opening
quote would swallow the rest of the file into one value.

The rules are those of the parser (Arrow's, like RFC 4180): a quote opens a quoted value only
at the start of a field (after a comma or a line break); inside, `""` is a quote and a single
quote closes the value. So only runs of an odd number of quotes can change the state; outside a
value, such a run that is not at a field's start is a stray quote (left as it is, reported), and
inside, every odd run closes. Strays are resolved one by one (`searchsorted`), so a file with a
stray quote on every line stays linear.
"""

from dataclasses import dataclass

import numpy as np

QUOTE, COMMA, LF, CR = ord('"'), ord(","), ord("\n"), ord("\r")


@dataclass
class QuoteScan:
    """What the quotes of a block of whole lines say, line by line."""

    line_ends: np.ndarray  # the offset of each line's last byte (its LF, CR or CR LF's LF)
    record_starts: np.ndarray  # bool per line: a record starts at this line
    closed_after: np.ndarray  # bool per line: no quoted value is open after this line
    strays: np.ndarray  # offsets of the quotes found inside unquoted values

    @property
    def lines(self) -> int:
        return len(self.line_ends)

    def line_of(self, offset: int) -> int:
        """The line (0-based) holding the byte at `offset`."""
        return int(np.searchsorted(self.line_ends, offset))

    def head(self, lines: int) -> "QuoteScan":
        """The scan of the block's first `lines` lines."""
        end = int(self.line_ends[lines - 1]) if lines else -1
        return QuoteScan(
            self.line_ends[:lines],
            self.record_starts[:lines],
            self.closed_after[:lines],
            self.strays[self.strays <= end],
        )


def line_ends(data: np.ndarray) -> np.ndarray:
    """Offsets of the line breaks: LF, and CR not followed by LF (old Mac exports)."""
    lf = data == LF
    cr = data == CR
    cr[:-1] &= ~lf[1:]
    return np.flatnonzero(lf | cr)


def _odd_quote_runs(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The odd-length runs of quotes: their first offsets, and whether each stands at the start
    of a field (after a comma, a line break or the block's start)."""
    quotes = np.flatnonzero(data == QUOTE)
    if quotes.size == 0:
        return quotes, quotes.astype(bool)
    new_run = np.ones(quotes.size, dtype=bool)
    new_run[1:] = np.diff(quotes) != 1
    starts = np.flatnonzero(new_run)
    lengths = np.diff(np.append(starts, quotes.size))
    first = quotes[starts][lengths % 2 == 1]
    before = np.where(first > 0, data[np.maximum(first - 1, 0)], LF)
    at_field_start = (before == COMMA) | (before == LF) | (before == CR)
    return first, at_field_start


def _strays(at_field_start: np.ndarray) -> np.ndarray:
    """Which odd runs are stray quotes, given that outside a value only a run at a field's
    start opens one, and inside one any odd run closes it.

    With no strays, openers sit at even positions of the runs and closers at odd ones; a stray
    is a run that cannot open where an opener is due, and after it the openers' parity flips.
    The next stray for each parity is found by binary search, so the work is linear in the
    runs plus logarithmic per stray."""
    positions = np.arange(at_field_start.size)
    cannot_open = [positions[(positions % 2 == parity) & ~at_field_start] for parity in (0, 1)]
    strays: list[int] = []
    start, parity = 0, 0
    while True:
        candidates = cannot_open[parity]
        k = int(np.searchsorted(candidates, start))
        if k == candidates.size:
            break
        stray = int(candidates[k])
        strays.append(stray)
        start, parity = stray + 1, (stray + 1) % 2
    return np.asarray(strays, dtype=np.int64)


def scan(block: bytes) -> QuoteScan:
    """The lines of `block` (which starts at a record's start and ends with a line break)."""
    data = np.frombuffer(block, dtype=np.uint8)
    ends = line_ends(data)
    runs, at_field_start = _odd_quote_runs(data)
    if runs.size == 0:  # the usual voter file: no quotes at all
        every = np.ones(ends.size, dtype=bool)
        return QuoteScan(ends, every, every.copy(), runs)
    stray = _strays(at_field_start)
    toggles = np.delete(runs, stray)
    open_after = np.searchsorted(toggles, ends, side="right") % 2 == 1
    record_starts = np.ones(ends.size, dtype=bool)
    record_starts[1:] = ~open_after[:-1]
    return QuoteScan(ends, record_starts, ~open_after, runs[stray])
