"""Client-side pacing to Harvest's rate limit, applied before each request is sent.

Harvest meters a fixed window per account and reports it on every response with
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds).
The gate waits for the reset when the window is spent, and can also hold the tap to a
configured ceiling (`max_requests_per_window`) when the user wants to leave headroom
for other integrations on the same account.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("tap-greenhouse")

WINDOW_SECONDS = 30.0
# Slack for clock skew between us and Greenhouse when waiting for a window reset.
RESET_SLACK_SECONDS = 0.25


class RateLimitGate:
    """Decides how long to wait before the next request; thread-safe."""

    def __init__(
        self,
        max_requests_per_window: int | None = None,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests_per_window = max_requests_per_window
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._remaining: int | None = None
        self._reset_at = 0.0
        self.waited_seconds = 0.0

    def wait_turn(self) -> None:
        """Block until a request may be sent without exceeding the limit."""
        with self._lock:
            now = self._clock()
            delay = 0.0
            if self._remaining is not None and self._remaining <= 0 and self._reset_at > now:
                delay = self._reset_at - now + RESET_SLACK_SECONDS
            if self.max_requests_per_window:
                while self._sent and self._sent[0] <= now - self.window_seconds:
                    self._sent.popleft()
                if len(self._sent) >= self.max_requests_per_window:
                    delay = max(delay, self._sent[0] + self.window_seconds - now)
            if delay > 0:
                logger.info("Rate limit reached; waiting %.1f s before the next request", delay)
                self._sleep(delay)
                self.waited_seconds += delay
                now = self._clock()
                self._remaining = None
            self._sent.append(now)

    def observe(self, response: requests.Response) -> None:
        """Learn the server's view of the window from the rate-limit headers."""
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = response.headers.get("X-RateLimit-Reset")
        if remaining is None:
            return
        try:
            remaining_value = int(remaining)
            reset_value = float(reset) if reset else self._clock() + self.window_seconds
        except ValueError:
            return
        with self._lock:
            self._remaining = remaining_value
            self._reset_at = reset_value


class ThrottledSession(requests.Session):
    """A `requests.Session` that waits for the gate before each send."""

    def __init__(self, gate: RateLimitGate) -> None:
        super().__init__()
        self.gate = gate

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Pace, send, then learn from the response headers."""
        self.gate.wait_turn()
        response = super().send(request, **kwargs)
        self.gate.observe(response)
        return response
