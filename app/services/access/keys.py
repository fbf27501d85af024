"""The server's secret key beyond token signing: keyed hashes (list codes, throttle keys), and
the settings a request's session carries for the services that need them.

`keyed_hash` is HMAC-SHA256 under SECRET_KEY, with a purpose prefix so that a hash made for one
use never matches one made for another. Without the key, a copy of the database cannot be
searched for the values behind the hashes, short as list codes are.
"""

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings

_INFO_KEY = "doorstep.settings"


def keyed_hash(settings: Settings, purpose: str, value: str) -> bytes:
    """HMAC-SHA256(SECRET_KEY, purpose NUL value)."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).digest()


def attach_settings(session: AsyncSession, settings: Settings) -> AsyncSession:
    """Let the session carry the settings (the request's, the CLI's) to the services that key
    hashes with the secret but are called with a session and a tenant only."""
    session.info[_INFO_KEY] = settings
    return session


def settings_of(session: AsyncSession) -> Settings:
    """The settings attached to the session (see `attach_settings`)."""
    settings = session.info.get(_INFO_KEY)
    if not isinstance(settings, Settings):
        raise RuntimeError("this session carries no settings: call keys.attach_settings first")
    return settings
