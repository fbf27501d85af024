from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.schemas.auth import Storable


class ListCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expires_in_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long the code works: 1 hour to 30 days"
    )


class ListCodeOut(BaseModel):
    id: int = Field(description="Names the code for revoking it, once the code itself is gone")
    code: str | None = Field(
        default=None,
        description="The full code, in the answer that creates it only: it is stored hashed",
    )
    hint: str = Field(description="The code's last characters, to tell codes apart")
    walk_list_id: int
    expires_at: datetime
    created_at: datetime
    created_by: int | None


class ListCodeLogin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(min_length=1, max_length=64), Storable] = Field(
        description="The code as printed; case, spaces and dashes do not matter"
    )
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Storable
    ] = Field(description="The volunteer's name, recorded on every result they sync")


class ListCodeTokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    walk_list_id: int
    expires_in: int
