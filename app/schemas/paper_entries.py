from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from app.schemas.common import MAX_ID, CheckedAlone, CleanStr, FiniteFloat, IsoDate, NoteStr
from app.schemas.sync import ItemError

MAX_PAPER_ENTRIES = 1000
BoxText = Annotated[CleanStr, StringConstraints(max_length=5000)]
Answer = BoxText | FiniteFloat | Annotated[list[BoxText], Field(max_length=50)]
QuestionNumber = Annotated[CleanStr, StringConstraints(max_length=8)]


class PaperEntry(BaseModel):
    """One line of a walk sheet as typed in: the codes exactly as printed on the sheet."""

    model_config = ConfigDict(extra="forbid")

    line: int = Field(ge=1, le=MAX_ID)
    result: Annotated[
        CleanStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)
    ]
    answers: dict[QuestionNumber, Answer] = Field(
        max_length=100,
        default_factory=dict,
        description='By question number: an option code ("2"), several codes (["H", "T"]) for '
        "a multiple-choice question, the text, or the number",
    )
    note: NoteStr | None = None
    knocked_on: IsoDate | None = Field(
        default=None, description="Default: the day the list was built"
    )
    replace: StrictBool | None = Field(
        default=None, description="Overrides the request's `replace`"
    )


class PaperEntriesIn(BaseModel):
    """Entries are checked one by one, so one mistyped line never sinks the others."""

    model_config = ConfigDict(extra="forbid")

    entries: list[Annotated[Any, CheckedAlone(PaperEntry)]] = Field(
        description=f"At most {MAX_PAPER_ENTRIES} (more: 413); each is checked alone and a bad "
        "one is answered `rejected` with its errors"
    )
    replace: StrictBool = Field(
        default=False,
        description="Replace lines already entered from paper (the old entry is kept, superseded)",
    )


class PaperEntryOut(BaseModel):
    line: int | None
    status: Literal["created", "duplicate", "replaced", "rejected"]
    contact_id: int | None = None
    errors: list[ItemError] | None = None


class PaperEntriesOut(BaseModel):
    results: list[PaperEntryOut]
