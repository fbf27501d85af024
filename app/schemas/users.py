from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from app.models import Role
from app.schemas.auth import Storable
from app.schemas.common import NameStr

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


# A password to set: long enough, and text without NUL or lone surrogates.
NewPassword = Annotated[str, StringConstraints(min_length=8, max_length=200), Storable]


class UserCreate(BaseModel):
    email: Email
    name: NameStr
    role: Role
    password: NewPassword = Field(description="The initial password (8 to 200 characters)")
    must_change_password: StrictBool = Field(
        default=False,
        description="Whether the user must choose their own password before anything else",
    )


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    active: bool = Field(description="False once deactivated: the account cannot sign in")
    must_change_password: bool


class UserPatch(BaseModel):
    """What an admin changes about a member. A new role, or deactivating, ends the member's
    sessions at once."""

    model_config = ConfigDict(extra="forbid")

    name: NameStr | None = None
    role: Role | None = None
    active: StrictBool | None = Field(
        default=None, description="false deactivates, true reactivates"
    )


class PasswordReset(BaseModel):
    """An admin sets a member's password (e.g. forgotten): every session of theirs ends."""

    model_config = ConfigDict(extra="forbid")

    password: NewPassword
    must_change_password: StrictBool = Field(
        default=True,
        description="The password is temporary: the member must replace it (POST /me/password) "
        "before doing anything else",
    )


class PasswordChange(BaseModel):
    """A user changes their own password: their other sessions end."""

    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(min_length=1, max_length=200), Storable]
    new_password: NewPassword
