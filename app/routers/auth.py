from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.deps import AnyMember, SessionDep, SettingsDep
from app.schemas.auth import MeOut, TokenOut
from app.schemas.list_codes import ListCodeLogin, ListCodeTokenOut
from app.services.access import auth, users
from app.services.walk_lists import codes

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


@router.post(
    "/auth/list_code",
    response_model=ListCodeTokenOut,
    responses={429: {"description": "Too many failed tries from this address"}},
)
async def list_code_token(
    request: Request, session: SessionDep, settings: SettingsDep, body: ListCodeLogin
) -> ListCodeTokenOut:
    """A list code and the volunteer's name for a token that can read that one walk list and
    sync results for it. More than 10 failed tries a minute from one address answer 429."""
    address = request.client.host if request.client else "unknown"
    throttle = request.app.state.list_code_throttle
    return await codes.exchange(session, settings, throttle, address, body.code, body.name)


@router.get("/me", response_model=MeOut)
async def me(session: SessionDep, tenant: AnyMember) -> MeOut:
    return await users.me(session, tenant)
