"""A sliding-window counter of failures per client address, for guessable secrets (list codes).

Kept in the process: one uvicorn worker shares it across all requests. With several workers
each keeps its own window, so the effective limit is the limit times the number of workers;
the code space (31^8 codes) keeps guessing hopeless either way.
"""

import math
import time
from collections import deque
from collections.abc import Callable

from app.errors import TooManyRequests

_MAX_KEYS = 10_000  # past this many addresses, forget the ones whose window has passed


class FailureThrottle:
    """Refuses a key once it has failed `limit` times within the last `window` seconds."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def check(self, key: str) -> None:
        """Raise 429 (with Retry-After) while the key is over its limit; every try is refused then,
        a right code included, so that guessing cannot go on behind the refusals."""
        now = self._clock()
        failures = self._recent(key, now)
        if len(failures) >= self.limit:
            retry_after = max(1, math.ceil(failures[-self.limit] + self.window - now))
            raise TooManyRequests(
                f"Too many failed tries from this address; try again in {retry_after} s",
                headers={"Retry-After": str(retry_after)},
            )

    def failed(self, key: str) -> None:
        now = self._clock()
        failures = self._recent(key, now)
        failures.append(now)
        self._failures[key] = failures
        if len(self._failures) > _MAX_KEYS:
            for stale in [k for k, q in self._failures.items() if not self._recent(k, now)]:
                del self._failures[stale]
