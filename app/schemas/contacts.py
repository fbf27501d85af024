"""Contacts as history: what a person's contact list answers."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class ResponseOut(BaseModel):
    question_id: int
    option_ids: list[int]
    text: str | None
    number: float | None


class CanvasserRef(BaseModel):
    id: int | None
    name: str


class ContactOut(BaseModel):
    id: int
    client_id: UUID
    result: str
    knocked_at: datetime
    received_at: datetime
    source: str
    walk_list_id: int | None
    canvasser: CanvasserRef | None
    responses: list[ResponseOut]
    note: str | None
    entered_by: int | None = Field(description="Who typed it in (paper, uploads)")
    superseded_by: int | None = Field(
        description="The paper entry that replaced this one; it no longer counts in progress"
    )
