"""The audit log, a person's erasure receipt and the export of everything held about a person."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.schemas.common import MAX_ID as MAX_ID  # the largest id (the routers take it here)
from app.schemas.people import PersonOut


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor_user_id: int | None = Field(description="The member who acted (null for a guest)")
    actor_guest: str | None = Field(description="The name a list-code volunteer gave")
    actor_role: str
    action: str = Field(examples=["person.read", "sync.batch"])
    object_type: str = Field(examples=["person", "walk_list"])
    object_ids: list[int]
    detail: dict[str, Any] = Field(description="Counts, field names, filters; never values")


class ErasureOut(BaseModel):
    """What an erasure did. The person's row, contacts and list lines stay, anonymised, so that
    counts and progress stay true."""

    person_id: int
    already_erased: bool = Field(description="The person had been erased before: nothing done")
    contacts_kept: int = Field(description="Contacts that spoke for the person, kept anonymised")
    contacts_cleared: int = Field(
        description="Contacts that spoke only for erased people: note, text and number answers "
        "and location removed"
    )
    contacts_redacted: int = Field(
        description="Contacts shared with other people whose note or text answers named the "
        "person: the names replaced by [erased]"
    )
    profiles_redacted: int = Field(
        description="Other people whose custom field held a shared contact's text answer "
        "naming the person: the names replaced there too"
    )
    field_sources_deleted: int
    household_erased: bool = Field(
        description="The person was the last one at the door: its address and point erased too"
    )


class ExportAnswer(BaseModel):
    question_id: int
    prompt: str | None
    option_ids: list[int]
    options: list[str] = Field(description="The labels of the chosen options")
    text: str | None
    number: float | None


class ExportContact(BaseModel):
    id: int
    knocked_at: datetime
    received_at: datetime
    result: str
    source: str
    walk_list_id: int | None
    household_id: int
    note: str | None
    lon: float | None
    lat: float | None
    superseded_by: int | None
    spoke_for_others: bool = Field(description="A door contact that also spoke for others")
    answers: list[ExportAnswer]


class ExportFieldSource(BaseModel):
    field: str = Field(examples=["support_level", "custom:top_issue", "tag:volunteer-lead"])
    value: Any
    contact_id: int
    knocked_at: datetime


class ExportListLine(BaseModel):
    walk_list_id: int
    number: str
    name: str
    line: int
    seq: int
    created_at: datetime


class PersonExport(BaseModel):
    """Everything the campaign holds about one person (a subject access request)."""

    campaign: str
    exported_at: datetime
    erased: bool
    profile: PersonOut = Field(description="Profile, door and address, custom fields, tags")
    created_at: datetime | None = Field(description="When the voter file first brought them")
    updated_at: datetime | None
    contacts: list[ExportContact] = Field(description="Every contact that spoke for them")
    field_sources: list[ExportFieldSource] = Field(
        description="Which contact last set each profile field or tag, and the value it set"
    )
    walk_lists: list[ExportListLine] = Field(description="The walk lists they are a line of")
    audit: list[AuditEntryOut] = Field(
        description="Who read, searched, pulled (a list they are on), changed or exported them"
    )
