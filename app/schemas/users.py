from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.models import Role

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]


class UserCreate(BaseModel):
    email: Email
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Role
    password: str = Field(min_length=8, max_length=200)


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
