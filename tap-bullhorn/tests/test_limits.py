"""Throttling, 429/5xx retries and entitlement (403) handling."""

from __future__ import annotations

import pytest
from bullhorn_helpers import make_config, run_tap
from sandbox.core.faults import FaultConfig
from sandbox.core.ratelimit import FixedWindowLimiter
from tap_bullhorn.throttle import RESET_SLACK_SECONDS, Throttle


class FakeClock:
    """A clock that moves only when the pacer sleeps or a test sets `now`."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_forbidden_entity_is_skipped_with_a_warning(server):
    server.app.forbidden_entities.add("Lead")
    result = run_tap(make_config(server, entities=["Lead", "Skill"]))
    assert "lead" not in result.records
    assert len(result.ids("skill")) == 15
    assert "no access to entity Lead" in result.logs


def test_429_waits_honour_retry_after(server):
    config = make_config(server, entities=["Skill", "Country"])

    def burst() -> None:
        server.faults.configure(FaultConfig(burst_429=2, burst_429_retry_after=1))

    result = run_tap(config, before_sync=burst)
    assert len(result.ids("skill")) == 15
    assert len(result.ids("country")) == 12
    log = server.vendor_requests()
    statuses = [r.status for r in log]
    assert statuses.count(429) == 2
    for index, entry in enumerate(log[:-1]):
        if entry.status == 429:
            assert log[index + 1].at - entry.at >= 0.9


def test_throttle_keeps_under_the_server_limit(server):
    config = make_config(
        server,
        entities=["Candidate"],
        page_size=10,
        max_requests_per_minute=10,
        rate_limit_window_seconds=1,
    )

    def small_limit() -> None:
        server.app.limiter = FixedWindowLimiter(10, 1.0)
        server.clear_log()

    result = run_tap(config, before_sync=small_limit)
    assert len(result.ids("candidate")) == 120
    stats = server.stats()
    assert stats["requests"] >= 12
    assert stats["rate_limited"] == 0
    assert server.app.limiter is not None
    assert server.app.limiter.refused == 0


def test_5xx_and_connection_resets_are_retried(server, monkeypatch):
    monkeypatch.setattr("tap_bullhorn.client.FIRST_RETRY_WAIT_SECONDS", 0.05)
    config = make_config(server, entities=["Lead"], page_size=3)

    def flaky() -> None:
        server.faults.configure(FaultConfig(error_rate=0.3, reset_rate=0.3, seed=3))

    result = run_tap(config, before_sync=flaky)
    assert sorted(result.ids("lead")) == sorted(r["id"] for r in server.app.dump("Lead"))
    assert server.faults.injected.get("connection_reset", 0) > 0
    assert sum(v for k, v in server.faults.injected.items() if k.startswith("http_5")) > 0


def test_remaining_header_at_zero_holds_the_next_request(server):
    # Client pacing off: only x-ratelimit-remaining-minute keeps this run clear of 429s.
    config = make_config(server, entities=["Lead"], page_size=2, rate_limit_window_seconds=1)

    def small_limit() -> None:
        server.app.limiter = FixedWindowLimiter(3, 1.0)
        server.clear_log()

    result = run_tap(config, before_sync=small_limit)
    assert len(result.ids("lead")) == 12
    stats = server.stats()
    assert stats["requests"] > 3
    assert stats["rate_limited"] == 0


def test_answers_out_of_order_do_not_restart_the_window():
    """With calls in flight, a late answer shows a higher remaining count than an earlier
    one. That is not a new window: at the end of the quota the pacer still waits for the
    real window end, not a whole window from the late answer."""
    clock = FakeClock()
    slept = clock.slept

    throttle = Throttle(1500, 60.0, clock=clock, sleep=clock.sleep)
    throttle.wait()
    throttle.observe("5")
    throttle.wait()
    throttle.observe("1499")  # the counter rose: a window began at t=0
    clock.now = 50.0
    for _ in range(4):
        throttle.wait()
    for remaining in ("3", "5", "2", "1"):  # "5" answers an earlier call, late
        throttle.observe(remaining)
    throttle.wait()  # 1 left with nothing in flight: fine
    throttle.wait()  # 1 left, 1 in flight: hold until the window ends at t=60
    assert slept == [pytest.approx(10.0 + RESET_SLACK_SECONDS)]


def test_answers_from_the_ended_window_do_not_hold_the_next_one():
    """Calls in flight when the pacer waits for a window reset are answered with the old
    window's low count; those answers must not make the new window wait again."""
    clock = FakeClock()
    slept = clock.slept

    throttle = Throttle(1500, 60.0, clock=clock, sleep=clock.sleep)
    throttle.observe("5", throttle.wait())
    throttle.observe("1499", throttle.wait())  # a window began at t=0
    clock.now = 59.0
    late = [throttle.wait() for _ in range(3)]
    throttle.observe("2", throttle.wait())  # 2 left, 3 in flight: the window is spent
    throttle.wait()  # holds until t=60
    assert slept == [pytest.approx(1.0 + RESET_SLACK_SECONDS)]
    for ticket in late:  # answered after the reset, counted in the old window
        throttle.observe("1", ticket)
    throttle.wait()
    throttle.wait()
    assert len(slept) == 1


def test_calls_after_a_window_reset_stay_within_the_quota_seen():
    """Threads held for a window reset must not all go at once: before the new window's
    first answer, no more calls go than the largest count seen plus one."""
    clock = FakeClock()
    slept = clock.slept

    throttle = Throttle(1500, 60.0, clock=clock, sleep=clock.sleep)
    throttle.observe("2", throttle.wait())  # a window of 3 calls, 2 left
    tickets = [throttle.wait(), throttle.wait()]
    for remaining, ticket in zip(("1", "0"), tickets, strict=True):
        throttle.observe(remaining, ticket)
    throttle.wait()  # spent: holds for the reset
    assert len(slept) == 1
    throttle.wait()
    throttle.wait()  # 3 calls in the new window: its whole quota
    assert len(slept) == 1
    throttle.wait()  # a 4th before any answer would be refused: hold
    assert len(slept) == 2
