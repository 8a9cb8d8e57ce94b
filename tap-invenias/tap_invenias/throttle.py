"""Client-side pacing to the Invenias quota, applied before each request is sent.

Invenias allows 3000 calls per fixed 5-minute window and reports the calls left in
`X-Request-Quota-Remaining`; at 0 every call is refused with 429 until the window resets,
and an account that collects 9000 429s in 5 minutes is disabled. So the gate:

- never sends more than `limit` calls in any `window_seconds` span (a sliding log, which
  also keeps every fixed window at or under the limit);
- stops sending when the header says the quota is spent (other integrations share it),
  until the window has certainly reset: the reset it saw the counter jump at, plus
  whole windows, or else a full window after the quota ran out.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

import requests

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger("tap-invenias")

QUOTA_HEADER = "X-Request-Quota-Remaining"
PUBLISHED_LIMIT = 3000
WINDOW_SECONDS = 300.0
# Slack for clock skew between us and Invenias when waiting for a window reset.
RESET_SLACK_SECONDS = 1.0


class QuotaGate:
    """Decides how long to wait before the next call; thread-safe."""

    def __init__(
        self,
        limit: int = PUBLISHED_LIMIT,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._remaining: int | None = None
        self._resume_at: float | None = None
        self._window_started_at: float | None = None
        # Most the header ever said was left after a call: a window holds at least one more.
        self._most_remaining_seen: int | None = None
        # Sent and not yet answered: they spend quota the last header did not count yet.
        self._in_flight = 0
        # Most calls ever in flight at once: answers can arrive up to that far out of order.
        self._peak_in_flight = 0
        # Calls sent before this instant belong to a window that has ended since: their
        # answers carry that window's count.
        self._fresh_after = float("-inf")
        self.waited_seconds = 0.0
        self.calls = 0

    def wait_turn(self) -> float:
        """Block until a call may be sent without exceeding the quota; returns its ticket."""
        with self._lock:
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.window_seconds:
                self._sent.popleft()
            delay = 0.0
            if len(self._sent) >= self.limit:
                delay = self._sent[0] + self.window_seconds - now
            window_ends = True
            if self._resume_at is not None:
                delay = max(delay, self._resume_at - now)
            elif self._remaining is not None and self._remaining <= self._in_flight:
                # The calls already in flight use up what the header said was left.
                delay = max(delay, self._next_reset(now) - now)
            else:
                window_ends = False
            if delay > 0:
                logger.info("Invenias quota reached; waiting %.1f s before the next call", delay)
                self._sleep(delay)
                self.waited_seconds += delay
                now = self._clock()
                self._resume_at = None
                self._remaining = self._fresh_window_quota()
                if window_ends:
                    self._fresh_after = now
            self._sent.append(now)
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            self.calls += 1
            return now

    def _fresh_window_quota(self) -> int | None:
        """Calls a window may hold after a wait, before its first answer says more.

        Unknown (None) would let every waiting thread send at once; the largest count
        seen plus the call that was spent to see it is at most the window's quota.
        """
        if self._most_remaining_seen is None:
            return None
        return self._most_remaining_seen + 1

    def _next_reset(self, now: float) -> float:
        """When the window in force at `now` has certainly ended."""
        if self._window_started_at is not None:
            windows = math.floor((now - self._window_started_at) / self.window_seconds)
            reset = self._window_started_at + (windows + 1) * self.window_seconds
        else:
            reset = now + self.window_seconds
        return reset + RESET_SLACK_SECONDS

    def _learn_remaining(self, remaining: int, now: float) -> None:
        """Take the header's count; a rise beyond reordering means a new window began."""
        self._most_remaining_seen = max(self._most_remaining_seen or 0, remaining)
        previous = self._remaining
        if previous is None or remaining > previous + self._peak_in_flight:
            if previous is not None:
                self._window_started_at = now
            self._remaining = remaining
        else:
            # A late answer of an earlier call does not give quota back.
            self._remaining = min(previous, remaining)

    def call_failed(self) -> None:
        """A call got no answer: it no longer holds quota in flight."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)

    def observe(self, response: requests.Response, ticket: float | None = None) -> None:
        """Learn the server's count from the quota header (and from 429s).

        An answer to a call sent before the last wait for a window reset speaks of the
        ended window and is not learned from.
        """
        raw = response.headers.get(QUOTA_HEADER)
        now = self._clock()
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if ticket is not None and ticket < self._fresh_after:
                return
            if raw is not None:
                try:
                    remaining = int(raw)
                except ValueError:
                    remaining = None
                if remaining is not None:
                    self._learn_remaining(remaining, now)
            if response.status_code == 429:
                retry_after = _seconds(response.headers.get("Retry-After"))
                resume_at = now + retry_after if retry_after is not None else self._next_reset(now)
                self._resume_at = max(self._resume_at or 0.0, resume_at)
            elif (
                self._remaining is not None
                and self._remaining <= self._in_flight
                and self._resume_at is None
            ):
                # This call used the last of the quota: the next one would be refused.
                self._resume_at = self._next_reset(now)


def _seconds(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None


class ThrottledSession(requests.Session):
    """A `requests.Session` that waits for the gate before each send."""

    def __init__(self, gate: QuotaGate) -> None:
        super().__init__()
        self.gate = gate

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Pace, send, then learn from the quota header."""
        ticket = self.gate.wait_turn()
        try:
            response = super().send(request, **kwargs)
        except BaseException:
            self.gate.call_failed()
            raise
        self.gate.observe(response, ticket)
        return response
