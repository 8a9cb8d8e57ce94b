"""Client-side pacing so the tap never exceeds Bullhorn's per-minute call limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

PAUSE_WHEN_EXHAUSTED_SECONDS = 1.0


class Throttle:
    """Spaces requests evenly at `max_per_minute`, and pauses when the server says none remain.

    Even spacing (one request every 60/N seconds) keeps any window of the server's limiter,
    however it is aligned, within the limit.
    """

    def __init__(
        self,
        max_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 60.0 / max(1, max_per_minute)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self.waited = 0.0

    def wait(self) -> None:
        """Block until the next request may be sent."""
        with self._lock:
            now = self._clock()
            delay = self._next_at - now
            if delay > 0:
                self.waited += delay
                self._sleep(delay)
                now = self._clock()
            self._next_at = max(now, self._next_at) + self.interval

    def observe(self, remaining: str | None) -> None:
        """Read `x-ratelimit-remaining-minute`; when it hits zero, hold the next request."""
        if remaining is None:
            return
        try:
            left = int(remaining)
        except ValueError:
            return
        if left <= 0:
            with self._lock:
                self._next_at = max(self._next_at, self._clock() + PAUSE_WHEN_EXHAUSTED_SECONDS)
