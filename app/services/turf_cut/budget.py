"""A cut's budget: how long it may run, and a way to stop it from outside.

The cut runs in a worker thread, which asyncio cannot interrupt: cancelling the awaiting task
leaves the thread running (a runaway cut once kept a core busy for 16 minutes after its
client had gone, and held up shutdown). So the cut's loops call `check()` between steps, and
stop with `CutStopped` once the time is up or `cancel()` was called (the client went away, the
server is stopping).
"""

import threading
import time
from dataclasses import dataclass, field


class CutStopped(Exception):
    """The cut was stopped before it finished; the message says why."""


@dataclass
class CutBudget:
    seconds: float | None = None  # None: no time limit
    started: float = field(default_factory=time.monotonic)
    _cancelled: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Stop the cut at its next check (safe to call from any thread)."""
        self._cancelled.set()

    def check(self) -> None:
        """Raise CutStopped when the cut was cancelled or has used up its time."""
        if self._cancelled.is_set():
            raise CutStopped("the cut was cancelled")
        if self.seconds is not None and time.monotonic() - self.started > self.seconds:
            raise CutStopped(f"the cut did not finish within its {self.seconds:g} s budget")


UNLIMITED = CutBudget()
