"""Tokens, the quota, faults and errors, against the sandbox over HTTP."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from invenias_helpers import TAP_EXECUTABLE, run_tap, tap_config
from sandbox.core.faults import FaultConfig
from sandbox.core.ratelimit import FixedWindowLimiter
from sandbox.core.registry import start_server
from tap_invenias.tap import DEFAULT_PARALLEL_REQUESTS
from tap_invenias.throttle import QUOTA_HEADER, RESET_SLACK_SECONDS, QuotaGate


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


def answer(remaining: int) -> Any:
    """A 200 answer carrying the quota header."""
    return SimpleNamespace(status_code=200, headers={QUOTA_HEADER: str(remaining)})


LIST_STREAMS = ("people", "companies", "assignments", "journal", "documents")


def _assert_complete(run: Any, server: Any) -> None:
    assert run.returncode == 0, run.stderr
    for stream in LIST_STREAMS:
        assert sorted(set(run.ids(stream))) == sorted(server.app.data.tables[stream]), stream


def test_token_is_fetched_once_with_the_password_grant(invenias, tmp_path):
    run = run_tap(tap_config(invenias), tmp_path)
    assert run.returncode == 0, run.stderr
    assert invenias.app.token_requests == 1
    token_calls = [e for e in invenias.vendor_requests() if e.path == "/identity/connect/token"]
    assert [(e.method, e.query) for e in token_calls] == [("POST", "")]


def test_revoked_token_is_replaced_mid_run(invenias, tmp_path):
    invenias.faults.configure(FaultConfig(revoke_after_requests=30))
    run = run_tap(tap_config(invenias, page_size=20), tmp_path)

    _assert_complete(run, invenias)
    assert invenias.app.token_requests == 2
    # Calls in flight with the revoked token each get one 401; all retry with the new one.
    assert 1 <= invenias.stats()["by_status"].get("401", 0) <= DEFAULT_PARALLEL_REQUESTS


def test_token_expiring_mid_run_is_renewed_before_use(invenias, tmp_path):
    # A 302-second token is inside the tap's 300-second renewal margin almost at once.
    invenias.app.token_lifetime_seconds = 302
    run = run_tap(tap_config(invenias, page_size=50), tmp_path)
    _assert_complete(run, invenias)
    assert invenias.stats()["by_status"].get("401", 0) == 0


def test_a_second_401_with_a_new_token_is_a_clear_error(invenias, tmp_path):
    invenias.app.token_lifetime_seconds = 0  # every token is dead on arrival
    run = run_tap(tap_config(invenias), tmp_path)
    assert run.returncode != 0
    errors = run.error_lines()
    assert len(errors) == 1, run.stderr
    assert "401 Unauthorized again" in errors[0]
    assert "Traceback" not in run.stderr


def test_full_sync_beyond_one_quota_window_gets_no_429(tmp_path):
    # 40 calls per 3 s window; the sync needs well over 100 calls.
    server = start_server("invenias", records=150, seed=11, rate_limit=(40, 3.0))
    try:
        config = tap_config(
            server, page_size=20, max_requests_per_window=40, quota_window_seconds=3
        )
        run = run_tap(config, tmp_path)
        _assert_complete(run, server)
        stats = server.stats()
        assert stats["requests"] > 3 * 40
        assert stats["rate_limited"] == 0
        assert server.app.rate_limited_served == 0
    finally:
        server.stop()


def test_quota_spent_by_another_integration_is_waited_out(tmp_path):
    server = start_server("invenias", records=40, seed=12, rate_limit=(30, 2.0))
    try:
        # Another client has already used most of this window's quota.
        limiter = server.app.limiter
        assert isinstance(limiter, FixedWindowLimiter)
        for _ in range(25):
            limiter.hit()
        config = tap_config(
            server, max_requests_per_window=1000, quota_window_seconds=2, setting_names=["Sex"]
        )
        run = run_tap(config, tmp_path)
        _assert_complete(run, server)
        # The header said 0 left: the tap held its calls instead of collecting 429s.
        assert server.app.rate_limited_served <= 1
        assert not server.app.account_disabled
    finally:
        server.stop()


def test_faults_are_survived_with_identical_output(invenias, tmp_path):
    clean = run_tap(tap_config(invenias, page_size=40), tmp_path)
    invenias.faults.configure(
        FaultConfig(error_rate=0.08, reset_rate=0.02, burst_429=3, revoke_after_requests=40, seed=5)
    )
    faulty = run_tap(tap_config(invenias, page_size=40), tmp_path)

    _assert_complete(faulty, invenias)
    injected = invenias.stats()["faults_injected"]
    assert injected.get("burst_429") == 3
    assert injected.get("token_revocation") == 1
    assert sum(v for k, v in injected.items() if k.startswith("http_5")) >= 1
    for stream in (*LIST_STREAMS, "settings", "countries"):
        key = "ItemId" if stream in LIST_STREAMS else ("Id" if stream == "settings" else None)
        if key:
            assert {r[key] for r in faulty.records[stream]} == {
                r[key] for r in clean.records[stream]
            }
    assert not invenias.app.account_disabled


def test_discovery_reports_the_tenant_columns_with_types(invenias, tmp_path):
    run = run_tap(tap_config(invenias), tmp_path, extra_args=["--discover"])
    assert run.returncode == 0, run.stderr
    catalog = json.loads(run.stdout)
    people = next(s for s in catalog["streams"] if s["tap_stream_id"] == "people")
    properties = people["schema"]["properties"]
    assert "string" in properties["Custom_ExecutiveLevel"]["type"]
    assert "integer" in properties["Custom_BoardSeats"]["type"]
    assert properties["CompanyId"]["type"] == ["object", "null"]
    assert properties["DateModified"]["format"] == "date-time"
    assert people["key_properties"] == ["ItemId"]
    assert people["replication_key"] == "DateModified"
    assert people["replication_method"] == "INCREMENTAL"


def test_select_columns_limits_the_schema_and_the_select_sent(invenias, tmp_path):
    config = tap_config(invenias, select_columns={"people": ["FileAs", "Email1Address"]})
    run = run_tap(config, tmp_path)
    assert run.returncode == 0, run.stderr
    assert set(run.schemas["people"]["properties"]) == {
        "ItemId", "ItemType", "OffLimitsStatus", "FileAs", "Email1Address", "DateModified",
    }  # fmt: skip
    bodies = [c.body for c in invenias.app.list_calls if c.entity == "people" and "Sort" in c.body]
    assert bodies
    assert all(sorted(b["Select"]) == ["DateModified", "Email1Address", "FileAs"] for b in bodies)


def test_no_secret_reaches_logs_output_or_urls(invenias, tmp_path):
    invenias.faults.configure(FaultConfig(revoke_after_requests=20, error_rate=0.05, seed=3))
    run = run_tap(
        tap_config(invenias), tmp_path, extra_args=[], env={"TAP_INVENIAS_LOG_LEVEL": "DEBUG"}
    )
    assert run.returncode == 0, run.stderr
    secrets = invenias.app.secrets()
    assert len(secrets) >= 3  # client secret, password and at least two tokens
    logged_urls = " ".join(entry.url for entry in invenias.log)
    for secret in secrets:
        assert secret not in run.stderr
        assert secret not in run.stdout
        assert secret not in logged_urls


def _bad_configs(server: Any) -> list[tuple[str, dict[str, Any], str]]:
    good = tap_config(server)
    unreachable = "http://127.0.0.1:9"
    return [
        ("missing password", {**good, "password": None}, "password"),
        ("empty client secret", {**good, "client_secret": ""}, "client_secret"),
        ("missing subdomain", {**good, "subdomain": None}, "subdomain"),
        ("wrong password", {**good, "password": "wrong"}, "check `username` and `password`"),
        ("wrong secret", {**good, "client_secret": "wrong"}, "check `client_id` and"),
        ("unreachable host", {**good, "base_url": unreachable}, "Cannot reach the Invenias"),
        ("malformed start_date", {**good, "start_date": "yesterday"}, "start_date"),
        ("page size zero", {**good, "page_size": 0}, "page_size"),
        ("page size too big", {**good, "page_size": 5000}, "page_size"),
        ("bad base_url", {**good, "base_url": "ftp://x"}, "base_url"),
        ("unknown stream", {**good, "select_columns": {"peeple": ["FileAs"]}}, "peeple"),
        ("unknown column", {**good, "select_columns": {"people": ["Nope"]}}, "Nope"),
        ("no modified column", {**good, "modified_columns": {"people": "Edited"}}, "Edited"),
        ("negative lookback", {**good, "lookback_minutes": -5}, "lookback_minutes"),
    ]


@pytest.mark.parametrize("index", range(14))
def test_bad_config_fails_with_one_clear_line(invenias, tmp_path, index):
    name, config, expected = _bad_configs(invenias)[index]
    config = {key: value for key, value in config.items() if value is not None}
    run = run_tap(config, tmp_path)
    assert run.returncode != 0, name
    assert "Traceback" not in run.stderr, name
    errors = run.error_lines() or [
        line for line in run.stderr.splitlines() if expected in line and "ERROR" in line
    ]
    assert len(errors) >= 1, (name, run.stderr)
    assert any(expected in line for line in errors), (name, errors)
    for secret in (invenias.app.credentials()["client_secret"], "wrong"):
        if secret != "wrong" or "wrong" not in json.dumps(config):
            assert secret not in run.stderr, name


def test_discover_with_bad_credentials_is_one_line(invenias, tmp_path):
    config = {**tap_config(invenias), "password": "wrong"}
    run = run_tap(config, tmp_path, extra_args=["--discover"])
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert len(run.error_lines()) == 1, run.stderr


def test_about_works_without_config_or_network():
    completed = subprocess.run(
        [TAP_EXECUTABLE, "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    about = json.loads(completed.stdout)
    assert about["name"] == "tap-invenias"
    settings = about["settings"]["properties"]
    for name in ("client_id", "client_secret", "username", "password", "subdomain"):
        assert name in settings
    assert settings["password"].get("secret") is True


def test_plugin_definition_lists_every_setting():
    plugin_file = Path(__file__).resolve().parents[1] / "plugin.yml"
    plugin = yaml.safe_load(plugin_file.read_text())
    completed = subprocess.run(
        [TAP_EXECUTABLE, "--about", "--format=json"], capture_output=True, text=True, check=True
    )
    tap_settings = set(json.loads(completed.stdout)["settings"]["properties"])
    plugin_settings = {setting["name"] for setting in plugin["settings"]}
    assert tap_settings <= plugin_settings
    sensitive = {s["name"] for s in plugin["settings"] if s.get("sensitive")}
    assert {"client_id", "client_secret", "password"} <= sensitive


def test_answers_out_of_order_do_not_restart_the_quota_window():
    """A late answer with a higher quota count is not a new window: when the quota runs
    out the gate waits for the real window end, not a whole window from that answer."""
    clock = FakeClock()
    slept = clock.slept

    gate = QuotaGate(3000, 300.0, clock=clock, sleep=clock.sleep)
    gate.wait_turn()
    gate.observe(answer(5))
    gate.wait_turn()
    gate.observe(answer(2999))  # the count rose: a window began at t=0
    clock.now = 250.0
    for _ in range(4):
        gate.wait_turn()
    for remaining in (10, 12, 9, 8):  # 12 answers an earlier call, late
        gate.observe(answer(remaining))
    for _ in range(8):  # 8 left: 8 calls may go
        gate.wait_turn()
    assert slept == []
    gate.wait_turn()  # 8 in flight use up the 8 left: hold until the window ends at t=300
    assert slept == [pytest.approx(50.0 + RESET_SLACK_SECONDS)]


def test_answers_from_the_ended_quota_window_do_not_hold_the_next_one():
    """Calls in flight when the gate waits for a window reset are answered with the old
    window's low count; those answers must not make the new window wait again."""
    clock = FakeClock()
    slept = clock.slept

    gate = QuotaGate(3000, 300.0, clock=clock, sleep=clock.sleep)
    gate.observe(answer(5), gate.wait_turn())
    gate.observe(answer(2999), gate.wait_turn())  # a window began at t=0
    clock.now = 299.0
    late = [gate.wait_turn() for _ in range(3)]
    gate.observe(answer(2), gate.wait_turn())  # 2 left, 3 in flight: the window is spent
    gate.wait_turn()  # holds until t=300
    assert slept == [pytest.approx(1.0 + RESET_SLACK_SECONDS)]
    for ticket in late:  # answered after the reset, counted in the old window
        gate.observe(answer(1), ticket)
    gate.wait_turn()
    gate.wait_turn()
    assert len(slept) == 1


def test_calls_after_a_quota_reset_stay_within_the_quota_seen():
    """Threads held for a window reset must not all go at once: before the new window's
    first answer, no more calls go than the largest count seen plus one."""
    clock = FakeClock()
    slept = clock.slept

    gate = QuotaGate(3000, 300.0, clock=clock, sleep=clock.sleep)
    gate.observe(answer(2), gate.wait_turn())  # a window of 3 calls, 2 left
    tickets = [gate.wait_turn(), gate.wait_turn()]
    for remaining, ticket in zip((1, 0), tickets, strict=True):
        gate.observe(answer(remaining), ticket)
    gate.wait_turn()  # spent: holds for the reset
    assert len(slept) == 1
    gate.wait_turn()
    gate.wait_turn()  # 3 calls in the new window: its whole quota
    assert len(slept) == 1
    gate.wait_turn()  # a 4th before any answer would be refused: hold
    assert len(slept) == 2
