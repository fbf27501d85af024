"""Failed tries counted in PostgreSQL, so that every process and every server shares them.

A key is what is throttled: an account (its e-mail in one campaign) or a client address, for
one purpose (logins, list codes). Each failure is a row of `auth_failure` holding the keyed
hash of the key (no e-mail or address in clear) and its time. A key is refused, with 429 and
`Retry-After`, once it has `limit` failures within the last `window_s` seconds; it is checked
*before* the costly part (an argon2 hash, a code lookup), and a refused try is not recorded,
so a key holds at most about `limit` rows. Rows older than the longest window are deleted
with the key's next failure, and now and then all at once (indexed on time).

`client_address` finds the client behind the trusted reverse proxies (`TRUSTED_PROXIES`).
"""

import ipaddress
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.errors import BadRequest, TooManyRequests, Unauthorized
from app.services.access import queries
from app.services.access.keys import keyed_hash

# Rows older than this go; no window is longer.
HORIZON_S = 24 * 3600
_GLOBAL_PRUNE_ODDS = 50  # one failure in this many also prunes every key


@dataclass(frozen=True)
class Key:
    """A throttled thing: the keyed hash of (purpose, value), its limit and window."""

    digest: bytes
    limit: int
    window_s: int


def login_account_key(settings: Settings, campaign_id: int | None, email: str) -> Key:
    """An account: the e-mail in one campaign (None: no such account, by e-mail alone)."""
    value = f"{campaign_id if campaign_id is not None else '-'}:{email}"
    return Key(
        keyed_hash(settings, "throttle:login:account", value),
        settings.login_failures_per_account,
        settings.login_failure_window_s,
    )


def login_address_key(settings: Settings, address: str) -> Key:
    return Key(
        keyed_hash(settings, "throttle:login:address", address),
        settings.login_failures_per_address,
        settings.login_failure_window_s,
    )


def list_code_address_key(settings: Settings, address: str) -> Key:
    return Key(
        keyed_hash(settings, "throttle:list_code:address", address),
        settings.list_code_failures_per_address,
        settings.list_code_failure_window_s,
    )


async def check(session: AsyncSession, keys: Sequence[Key], what: str) -> None:
    """Raise 429 (with Retry-After: when the first refused key has room again) while any key
    is over its limit. Every try is refused then, a right one included, so that guessing
    cannot go on behind the refusals."""
    if not keys:
        return
    rows = await session.execute(
        text(queries.THROTTLE_WAITS),
        {
            "keys": [k.digest for k in keys],
            "limits": [max(1, k.limit) for k in keys],
            "windows": [k.window_s for k in keys],
        },
    )
    waits = [float(w) for w in rows.scalars() if w is not None]
    if waits:
        retry_after = max(1, math.ceil(max(waits)))
        raise TooManyRequests(
            f"Too many failed {what}; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


async def failed(session: AsyncSession, keys: Sequence[Key]) -> None:
    """Count one failure against each key."""
    params: dict[str, Any] = {"keys": [k.digest for k in keys], "horizon": HORIZON_S}
    await session.execute(text(queries.RECORD_FAILURE), params)
    if random.randrange(_GLOBAL_PRUNE_ODDS) == 0:
        await session.execute(text(queries.PRUNE_FAILURES), {"horizon": HORIZON_S})


async def forget(session: AsyncSession, keys: Sequence[Key]) -> None:
    """Clear the keys' failures (an account after its owner's successful login)."""
    await session.execute(text(queries.FORGET_FAILURES), {"keys": [k.digest for k in keys]})


class KeepsWrites(Exception):
    """Mixed into an error whose transaction is committed all the same (by the request's
    session, `deps.get_session`): a refused try whose failure has just been counted."""


class WrongListCode(KeepsWrites, Unauthorized):
    """A list code that matches no code: a failed try, counted."""


class WrongCurrentPassword(KeepsWrites, BadRequest):
    """The current password given to change it is wrong: a failed try, counted."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(hop: str) -> Address | None:
    """An address as proxies write it: bare, `[v6]`, `[v6]:port` or `v4:port`."""
    hop = hop.strip().strip('"')
    if hop.startswith("["):
        hop = hop[1:].split("]", 1)[0]
    elif hop.count(":") == 1:
        hop = hop.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(hop)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def _client_key(address: Address) -> str:
    """IPv4 by address; IPv6 by its /64, which one client can have all of."""
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]
) -> str:
    """The client a request comes from. The peer, unless it is a trusted proxy: then the
    right-most address of X-Forwarded-For that is not a trusted proxy (what is left of it was
    written by the client and proves nothing). An unreadable hop stops the walk at the proxy
    that passed it on."""
    address = _parse(peer) if peer else None
    if address is None:
        return peer or "unknown"
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(address, proxies):
            break
        forwarded = _parse(hop)
        if forwarded is None:
            break
        address = forwarded
    return _client_key(address)
