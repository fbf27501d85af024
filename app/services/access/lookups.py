"""The two reads that must cross campaigns before a request knows its campaign.

Row-level security shows the API's role only the rows of the transaction's campaign, and shows
nothing before one is named. Two flows cannot name it first: a password login without
`campaign` (the e-mail may have accounts in several) and a list code (typed without its
campaign). Each goes through a narrow SECURITY DEFINER function of the owner (migration
805d0be899d4), with a fixed search_path, that returns exactly what its flow needs and no more;
the policies themselves stay closed.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class LoginAccount:
    """An account that a password login may try."""

    campaign_id: int
    user_id: int
    slug: str
    password_hash: str
    active: bool


@dataclass(frozen=True)
class ListCodeRow:
    """A list code found by the hash of what a volunteer typed."""

    id: int
    campaign_id: int
    walk_list_id: int
    expires_at: datetime
    revoked_at: datetime | None


async def login_accounts(
    session: AsyncSession, email: str, slug: str | None, limit: int
) -> list[LoginAccount]:
    """The e-mail's accounts with a role (only that campaign's, with a slug), by campaign slug,
    at most `limit`."""
    rows = await session.execute(
        text("SELECT * FROM login_accounts(:email, :slug, :limit)"),
        {"email": email, "slug": slug, "limit": limit},
    )
    return [
        LoginAccount(r.campaign_id, r.user_id, r.slug, r.password_hash, r.active)
        for r in rows.all()
    ]


async def list_code_by_hash(session: AsyncSession, code_hash: bytes) -> ListCodeRow | None:
    """The code whose stored hash this is, in whichever campaign, or None."""
    row = (
        await session.execute(text("SELECT * FROM list_code_by_hash(:h)"), {"h": code_hash})
    ).first()
    if row is None:
        return None
    return ListCodeRow(row.id, row.campaign_id, row.walk_list_id, row.expires_at, row.revoked_at)
