"""Client-side pacing so the tap never exceeds Bullhorn's per-minute call limit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Slack for clock skew between us and Bullhorn when waiting for a window reset.
RESET_SLACK_SECONDS = 0.25


class Throttle:
    """At most `max_per_window` requests in any `window_seconds` span; pauses when told.

    A sliding log of send times: no span of the window's length, however it is aligned,
    holds more than the limit, so the server's window (fixed or sliding) is never exceeded,
    and a run that needs fewer requests than the limit is not slowed down at all.
    """

    def __init__(
        self,
        max_per_window: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = max(1, max_per_window)
        self.window_seconds = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._next_at = 0.0
        self._last_remaining: int | None = None
        # Most the header ever said was left after a call: a window holds at least one more.
        self._most_remaining_seen: int | None = None
        # Sent and not yet answered: they spend quota the last header did not count yet.
        self._in_flight = 0
        # Most calls ever in flight at once: answers can arrive up to that far out of order.
        self._peak_in_flight = 0
        # Calls sent before this instant belong to a window that has ended since: their
        # answers carry that window's count.
        self._fresh_after = float("-inf")
        self._window_started_at: float | None = None
        self.waited = 0.0

    def wait(self) -> float:
        """Block until the next request may be sent; returns its ticket for `observe`."""
        with self._lock:
            now = self._clock()
            while self._sent and self._sent[0] <= now - self.window_seconds:
                self._sent.popleft()
            delay = self._next_at - now
            if len(self._sent) >= self.limit:
                delay = max(delay, self._sent[0] + self.window_seconds - now)
            window_ends = self._next_at > now
            if self._last_remaining is not None and self._last_remaining <= self._in_flight:
                # The calls already in flight use up what the server said was left.
                delay = max(delay, self._reset_after(now) - now)
                window_ends = True
            if delay > 0:
                self.waited += delay
                self._sleep(delay)
                now = self._clock()
                self._last_remaining = self._fresh_window_quota()
                if window_ends:
                    self._fresh_after = now
            self._sent.append(now)
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
            return now

    def _fresh_window_quota(self) -> int | None:
        """Calls a window may hold after a wait, before its first answer says more.

        Unknown (None) would let every waiting thread send at once; the largest count
        seen plus the call that was spent to see it is at most the window's quota.
        """
        if self._most_remaining_seen is None:
            return None
        return self._most_remaining_seen + 1

    def _reset_after(self, now: float) -> float:
        """When the server's window in force at `now` has certainly ended."""
        if self._window_started_at is not None:
            elapsed = now - self._window_started_at
            windows = int(elapsed // self.window_seconds) + 1
            return self._window_started_at + windows * self.window_seconds + RESET_SLACK_SECONDS
        return now + self.window_seconds + RESET_SLACK_SECONDS

    def observe(self, remaining: str | None, ticket: float | None = None) -> None:
        """Read `x-ratelimit-remaining-minute`; at zero, hold requests until the window resets.

        Other clients (or this tap's discovery run) share the meter, so the header can reach
        zero before the log does. The reset is the window start seen when the count last
        went up, plus whole windows; before one was seen, a full window from now.
        """
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            try:
                left = int(remaining) if remaining is not None else None
            except ValueError:
                left = None
            if left is None or (ticket is not None and ticket < self._fresh_after):
                return
            now = self._clock()
            self._most_remaining_seen = max(self._most_remaining_seen or 0, left)
            previous = self._last_remaining
            if previous is None or left > previous + self._peak_in_flight:
                # A rise larger than answers arriving out of order explain: a new window.
                if previous is not None:
                    self._window_started_at = now
                self._last_remaining = left
            else:
                # A late answer of an earlier call does not give quota back.
                self._last_remaining = min(previous, left)
            if left <= 0:
                self._next_at = max(self._next_at, self._reset_after(now))
