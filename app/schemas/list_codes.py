from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ListCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long the code works: 1 hour to 30 days"
    )


class ListCodeOut(BaseModel):
    code: str
    walk_list_id: int
    expires_at: datetime


class ListCodeLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        description="The code as printed; case, spaces and dashes do not matter"
    )
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = (
        Field(description="The volunteer's name, recorded on every result they sync")
    )


class ListCodeTokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    walk_list_id: int
    expires_in: int
