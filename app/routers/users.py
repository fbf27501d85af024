from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.deps import Admin, SessionDep
from app.pagination import Page, PageParams, make_page, page_params
from app.schemas.users import UserCreate, UserOut
from app.services.access import users

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", status_code=201, response_model=UserOut)
async def create_user(session: SessionDep, tenant: Admin, body: UserCreate) -> UserOut:
    return await users.create_user(session, tenant, body)


@router.get("", response_model=Page[UserOut])
async def list_users(
    request: Request,
    session: SessionDep,
    tenant: Admin,
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[UserOut]:
    rows = await users.list_users(session, tenant, page)
    return make_page(request, rows, page, key=lambda u: u.id)
