"""Server-side rate limiting: the vendor's window, enforced with 429s."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LimitDecision:
    """The outcome of counting one request against the window."""

    allowed: bool
    limit: int
    remaining: int
    reset_epoch: float
    retry_after: int


class FixedWindowLimiter:
    """`limit` requests per fixed `window_seconds` window, aligned to the epoch.

    Counts every request it refuses, so tests can assert how many 429s a tap caused.
    """

    def __init__(self, limit: int, window_seconds: float) -> None:
        if limit <= 0 or window_seconds <= 0:
            msg = "limit and window_seconds must be positive"
            raise ValueError(msg)
        self.limit = limit
        self.window_seconds = window_seconds
        self.refused = 0
        self._window_start = 0.0
        self._used = 0
        self._lock = threading.Lock()

    def hit(self, now: float | None = None) -> LimitDecision:
        """Count one request and decide whether it may proceed."""
        now = time.time() if now is None else now
        with self._lock:
            window_start = math.floor(now / self.window_seconds) * self.window_seconds
            if window_start != self._window_start:
                self._window_start = window_start
                self._used = 0
            reset_epoch = window_start + self.window_seconds
            if self._used >= self.limit:
                self.refused += 1
                return LimitDecision(
                    allowed=False,
                    limit=self.limit,
                    remaining=0,
                    reset_epoch=reset_epoch,
                    retry_after=max(1, math.ceil(reset_epoch - now)),
                )
            self._used += 1
            return LimitDecision(
                allowed=True,
                limit=self.limit,
                remaining=self.limit - self._used,
                reset_epoch=reset_epoch,
                retry_after=0,
            )
