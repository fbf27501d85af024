from typing import Annotated

from fastapi import APIRouter, Form, Response

from app.deps import ClientAddress, OwnAccount, SessionDep, SessionFactoryDep, SettingsDep
from app.schemas.auth import MeOut, TokenOut, problem_responses
from app.schemas.list_codes import ListCodeLogin, ListCodeTokenOut
from app.schemas.users import PasswordChange
from app.services.access import login, sessions, users
from app.services.walk_lists import codes

router = APIRouter(tags=["auth"])

_SIGNED_IN = {401: "No token, or its session has ended", 403: "A list-code token"}


@router.post(
    "/auth/token",
    response_model=TokenOut,
    responses=problem_responses(
        {
            400: "The e-mail and password open accounts in several campaigns: name one in "
            "`campaign` (the slugs where the password matched are given)",
            401: "Wrong e-mail or password (or no such account in that campaign)",
            403: "The account has been deactivated",
            429: "Too many failed logins for the account or from this address (Retry-After)",
        }
    ),
)
async def token(
    factory: SessionFactoryDep,
    settings: SettingsDep,
    address: ClientAddress,
    username: Annotated[str, Form(description="The user's e-mail", max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    campaign: Annotated[
        str | None,
        Form(
            description="Campaign slug: the account of that campaign. Needed only when the "
            "same e-mail and password open accounts in several",
            max_length=200,
        ),
    ] = None,
) -> TokenOut:
    """OAuth2 password flow: e-mail and password for a bearer token in one campaign. Every
    request checks the token's session, so it stops working at logout, when an admin ends the
    user's sessions, or when the account is deactivated, removed, or its role or password
    changes."""
    issued = await login.login(factory, settings, address, username, password, campaign)
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in)


@router.post(
    "/auth/logout",
    status_code=204,
    response_class=Response,
    responses=problem_responses(_SIGNED_IN),
)
async def logout(session: SessionDep, tenant: OwnAccount) -> Response:
    """End this token's session (other devices stay signed in)."""
    if tenant.session_id is not None:
        await sessions.end_session(session, tenant.campaign_id, tenant.session_id)
    return Response(status_code=204)


@router.post(
    "/auth/list_code",
    response_model=ListCodeTokenOut,
    responses=problem_responses(
        {
            401: "Unknown, expired or revoked code",
            429: "Too many unknown codes tried from this address (Retry-After)",
        }
    ),
)
async def list_code_token(
    session: SessionDep, address: ClientAddress, body: ListCodeLogin
) -> ListCodeTokenOut:
    """A list code and the volunteer's name for a token that can read that one walk list and
    sync results for it. Unknown codes are counted per client address: past the limit
    (LIST_CODE_FAILURES_PER_ADDRESS in LIST_CODE_FAILURE_WINDOW_S) every try answers 429."""
    return await codes.exchange(session, address, body.code, body.name)


@router.get("/me", response_model=MeOut, responses=problem_responses(_SIGNED_IN))
async def me(session: SessionDep, tenant: OwnAccount) -> MeOut:
    """The caller's account, campaign and role."""
    return await users.me(session, tenant)


@router.post(
    "/me/password",
    status_code=204,
    response_class=Response,
    responses=problem_responses(
        {
            **_SIGNED_IN,
            400: "Wrong current password, or the new one is the same",
            429: "Too many wrong passwords for the account (Retry-After)",
        }
    ),
)
async def change_password(
    session: SessionDep, tenant: OwnAccount, body: PasswordChange
) -> Response:
    """Change your own password, giving the current one. Your other sessions end; this one
    goes on. Also how a temporary password set by an admin is replaced."""
    await users.change_own_password(session, tenant, body)
    return Response(status_code=204)
