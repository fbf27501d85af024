from typing import Any

from pydantic import AfterValidator, BaseModel, Field

from app.models import Role
from app.schemas.common import text_problem


def storable(value: str) -> str:
    """Refuse text PostgreSQL cannot store or argon2 should not see (NUL, lone surrogates)."""
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


# Use after the length constraints: Annotated[str, StringConstraints(...), Storable]
Storable = AfterValidator(storable)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds the token (and its session) lives")


class UserRef(BaseModel):
    id: int
    email: str
    name: str


class CampaignRef(BaseModel):
    id: int
    slug: str
    name: str


class MeOut(BaseModel):
    user: UserRef
    campaign: CampaignRef
    role: Role
    must_change_password: bool = Field(
        description="An admin set a temporary password: POST /me/password before anything else"
    )


def problem_responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors an endpoint answers (application/problem+json)."""
    return {
        status: {"description": text, "content": {"application/problem+json": {}}}
        for status, text in described.items()
    }
