"""What an import job reports, whatever it imports (a voter file, paper results): counts and
the problems of its lines. One type for every kind of job, so that the job runner stores any
outcome the same way and `GET /imports/{id}` reads alike for all of them."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

MAX_ERRORS_KEPT = 1000  # a file with more bad lines reports its first thousand problems


class LineProblem(TypedDict):
    """What is wrong with one line of an imported file, and in which column if known."""

    line: int | None
    column: str | None
    message: str


@dataclass
class ImportOutcome:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    duplicates: int = 0
    without_precinct: int = 0
    errors: list[LineProblem] = field(default_factory=list)

    def note(self, line: int | None, column: str | None, message: str) -> None:
        """Report a problem of a line (the first MAX_ERRORS_KEPT are kept)."""
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "column": column, "message": message})

    def reject(self, line: int, column: str | None, message: str) -> None:
        """A line that is not loaded, and why."""
        self.rejected += 1
        self.note(line, column, message)


@dataclass(frozen=True)
class ImportProgress:
    """How far a running import is, as its importer reports it between chunks: the stage
    ("reading" the file, "writing" the rows), rows and bytes done, and rows in all when
    known. The job stores the latest at most once a second; `GET /imports/{id}` shows it."""

    stage: str
    rows_done: int
    bytes_done: int = 0
    rows_total: int | None = None


ProgressCallback = Callable[[ImportProgress], None]
