from datetime import datetime

from pydantic import BaseModel


class ImportError_(BaseModel):
    line: int | None
    column: str | None
    message: str


class ImportQueued(BaseModel):
    id: int
    status: str


class ImportJobOut(BaseModel):
    id: int
    kind: str
    status: str
    filename: str | None
    message: str | None
    rows_read: int
    created: int
    updated: int
    rejected: int
    duplicates: int
    without_precinct: int
    errors: list[ImportError_]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
