"""Password login: an e-mail, a password and, optionally, the campaign's slug.

Accounts belong to one campaign, so an e-mail may have accounts in several. With `campaign`,
the login is that campaign's account. Without it, the password is checked against each
account of the e-mail: exactly one matching logs in; several matching ask for the campaign,
naming only the campaigns where the password matched (it is proven there). So the answer
never tells anyone whether the e-mail has an account in another campaign, and a user whose
accounts share a password is never locked out: they name the campaign.

Throttling (see `throttle`): failures count against each account tried and against the client
address, and both are checked before any argon2 hash is computed. Login runs in short
transactions of its own (the session factory, not the request's session): no database
connection is held while hashing, and a failure is committed although the answer is 401.

Row-level security: the accounts are found before any campaign is known, through
`lookups.login_accounts` (the owner's narrow function); the session is opened in the
account's campaign (`session_scope(factory, campaign_id)`); the throttle's table is not
tenant-owned.
"""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db import session_scope
from app.errors import BadRequest, Forbidden, Unauthorized
from app.services.access import lookups, throttle
from app.services.access.auth import DUMMY_HASH, IssuedToken, verify_password
from app.services.access.sessions import open_session

# Without a campaign, at most this many accounts of one e-mail are tried (a hash each).
MAX_ACCOUNTS_TRIED = 10
_WRONG = "Incorrect email or password"


async def login(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client_address: str,
    email: str,
    password: str,
    campaign_slug: str | None,
) -> IssuedToken:
    """A session and its token for the one account that the e-mail and password open."""
    email = email.strip().lower()
    slug = (campaign_slug or "").strip() or None
    async with session_scope(factory) as session:
        # Before the campaign is known: the one read that crosses campaigns (`lookups`).
        accounts = await lookups.login_accounts(session, email, slug, MAX_ACCOUNTS_TRIED + 1)
        account_keys = [
            throttle.login_account_key(settings, a.campaign_id, email) for a in accounts
        ] or [throttle.login_account_key(settings, None, email)]
        keys = [*account_keys, throttle.login_address_key(settings, client_address)]
        await throttle.check(session, keys, "logins")
    if len(accounts) > MAX_ACCOUNTS_TRIED:
        raise BadRequest.on_field(
            "body.campaign", "Name the campaign to sign in to", "Name the campaign in 'campaign'"
        )

    # argon2 costs tens of milliseconds of CPU and 64 MiB by design: off the event loop.
    matched = [
        a for a in accounts if await asyncio.to_thread(verify_password, a.password_hash, password)
    ]
    if not accounts:
        await asyncio.to_thread(verify_password, DUMMY_HASH, password)
    if not matched:
        async with session_scope(factory) as session:
            await throttle.failed(session, keys)
        raise Unauthorized(_WRONG)

    active = [a for a in matched if a.active]
    if not active:
        raise Forbidden("This account has been deactivated; ask an admin of the campaign")
    if len(active) > 1:
        slugs = ", ".join(a.slug for a in active)
        raise BadRequest.on_field(
            "body.campaign",
            f"This e-mail and password open accounts in several campaigns ({slugs}): "
            "name one in 'campaign'",
        )
    account = active[0]
    async with session_scope(factory, account.campaign_id) as session:
        await throttle.forget(
            session, [throttle.login_account_key(settings, account.campaign_id, email)]
        )
        return await open_session(session, settings, account.campaign_id, account.user_id)
