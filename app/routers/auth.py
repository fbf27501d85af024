from typing import Annotated

from fastapi import APIRouter, Form

from app.deps import AnyMember, SessionDep, SettingsDep
from app.schemas.auth import MeOut, TokenOut
from app.services import auth, users

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenOut)
async def token(
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(description="The user's e-mail")],
    password: Annotated[str, Form()],
    campaign: Annotated[
        str | None, Form(description="Campaign slug; needed when the user is in several")
    ] = None,
) -> TokenOut:
    """OAuth2 password flow: e-mail and password for a bearer token in one campaign."""
    issued = await auth.login(session, settings, username, password, campaign or None)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.get("/me", response_model=MeOut)
async def me(session: SessionDep, tenant: AnyMember) -> MeOut:
    return await users.me(session, tenant)
