from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from app.deps import Admin, SessionDep
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.auth import problem_responses
from app.schemas.common import MAX_ID
from app.schemas.users import PasswordReset, UserCreate, UserOut, UserPatch
from app.services.access import members, users

router = APIRouter(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=MAX_ID, description="The account's id")]
_ADMIN = {
    401: "No token, or its session has ended",
    403: "Not an admin of the campaign (or a list-code token)",
}
_MEMBER = {**_ADMIN, 404: "No such account in this campaign"}
_LAST_ADMIN = {409: "The campaign's last active admin cannot be demoted, deactivated or removed"}


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses({**_ADMIN, 409: "The e-mail has an account in this campaign"}),
)
async def create_user(session: SessionDep, tenant: Admin, body: UserCreate) -> UserOut:
    """A new account in this campaign. The same e-mail may have accounts in other campaigns:
    they are separate accounts with their own passwords, neither read nor changed here."""
    return await users.create_user(session, tenant, body)


@router.get("", response_model=Page[UserOut], responses=problem_responses(_ADMIN))
async def list_users(
    request: Request,
    session: SessionDep,
    tenant: Admin,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[UserOut]:
    """The campaign's members, deactivated ones included."""
    rows = await users.list_users(session, tenant, page)
    return make_page(request, rows, page, key=lambda u: u.id)


@router.get("/{user_id}", response_model=UserOut, responses=problem_responses(_MEMBER))
async def get_user(session: SessionDep, tenant: Admin, user_id: UserId) -> UserOut:
    return await users.get_member(session, tenant, user_id)


@router.patch(
    "/{user_id}", response_model=UserOut, responses=problem_responses({**_MEMBER, **_LAST_ADMIN})
)
async def update_user(
    session: SessionDep, tenant: Admin, user_id: UserId, body: UserPatch
) -> UserOut:
    """Rename, change the role (`role`), deactivate (`"active": false`) or reactivate. A new
    role or a deactivation ends the member's sessions at once."""
    return await members.update_member(session, tenant, user_id, body)


@router.delete(
    "/{user_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses({**_MEMBER, **_LAST_ADMIN}),
)
async def remove_user(session: SessionDep, tenant: Admin, user_id: UserId) -> Response:
    """Remove the member: the account, its sessions and list assignments are deleted; the
    results it recorded stay as history."""
    await members.remove_member(session, tenant, user_id)
    return Response(status_code=204)


@router.put(
    "/{user_id}/password",
    status_code=204,
    response_class=Response,
    responses=problem_responses(_MEMBER),
)
async def reset_password(
    session: SessionDep, tenant: Admin, user_id: UserId, body: PasswordReset
) -> Response:
    """Set the member's password, by default a temporary one that they must replace before
    doing anything else. Every session of theirs ends."""
    await members.reset_password(session, tenant, user_id, body)
    return Response(status_code=204)


@router.delete(
    "/{user_id}/sessions",
    status_code=204,
    response_class=Response,
    responses=problem_responses(_MEMBER),
)
async def end_sessions(session: SessionDep, tenant: Admin, user_id: UserId) -> Response:
    """Sign the member out everywhere: every token of theirs stops working at once."""
    await members.end_member_sessions(session, tenant, user_id)
    return Response(status_code=204)
