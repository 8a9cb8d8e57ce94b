"""Forbidden streams, throttling, transient faults, secrets and bad settings."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox.core.faults import FaultConfig
from sandbox.core.ratelimit import FixedWindowLimiter


def _assert_complete(run, server) -> None:
    assert run.returncode == 0, run.stderr
    for resource in server.app.resources():
        expected = [row["id"] for row in server.app.dump(resource)]
        assert sorted(run.ids(resource)) == expected, resource


def test_forbidden_stream_is_skipped_with_a_warning(greenhouse, tmp_path, run_tap, tap_config):
    config = tap_config(greenhouse, client_id="limited-client", client_secret="limited-secret")

    run = run_tap(config, tmp_path)

    assert run.returncode == 0, run.stderr
    assert "offers" not in run.records
    assert "eeoc" not in run.records
    warnings = [line for line in run.stderr.splitlines() if "| WARNING" in line and "403" in line]
    assert any("offers" in line and "harvest:offers:list" in line for line in warnings)
    assert any("eeoc" in line for line in warnings)
    assert len(run.records["candidates"]) == len(greenhouse.app.dump("candidates"))


def test_forbidden_stream_fails_the_run_when_skipping_is_off(
    greenhouse, tmp_path, run_tap, tap_config
):
    config = tap_config(
        greenhouse,
        client_id="limited-client",
        client_secret="limited-secret",
        skip_forbidden_streams=False,
    )

    run = run_tap(config, tmp_path)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert any("harvest:" in line and "403" in line for line in run.error_lines())


def test_429_burst_is_waited_out_with_retry_after(greenhouse, tmp_path, run_tap, tap_config):
    greenhouse.faults.configure(FaultConfig(burst_429=3, burst_429_retry_after=1))

    run = run_tap(tap_config(greenhouse), tmp_path)

    _assert_complete(run, greenhouse)
    assert greenhouse.stats()["by_status"]["429"] == 3


def test_tap_paces_itself_under_the_rate_limit(greenhouse, tmp_path, run_tap, tap_config):
    # 12 requests per 2-second window; a full sync needs ~45 requests.
    greenhouse.app.limiter = FixedWindowLimiter(12, 2.0)

    run = run_tap(tap_config(greenhouse, page_size=100), tmp_path)

    _assert_complete(run, greenhouse)
    assert greenhouse.app.limiter.refused == 0
    assert "429" not in greenhouse.stats()["by_status"]


def test_configured_request_ceiling_is_honoured(greenhouse, tmp_path, run_tap, tap_config):
    # No headers from the server: the user's ceiling alone must keep us under the limit.
    greenhouse.app.limiter = FixedWindowLimiter(40, 30.0)
    greenhouse.app.rate_limit_headers = lambda remaining, limit, reset_epoch: {}  # type: ignore[method-assign]

    run = run_tap(tap_config(greenhouse, page_size=500, max_requests_per_window=38), tmp_path)

    _assert_complete(run, greenhouse)
    assert greenhouse.app.limiter.refused == 0


def test_server_errors_and_connection_resets_are_retried(greenhouse, tmp_path, run_tap, tap_config):
    greenhouse.faults.configure(FaultConfig(error_rate=0.1, reset_rate=0.05, seed=11))

    run = run_tap(tap_config(greenhouse), tmp_path)

    _assert_complete(run, greenhouse)
    injected = greenhouse.faults.injected
    assert sum(count for kind, count in injected.items() if kind.startswith("http_5")) >= 1
    assert injected.get("connection_reset", 0) >= 1


@pytest.mark.parametrize("loglevel", ["INFO", "DEBUG"])
def test_no_secret_reaches_logs_output_or_urls(greenhouse, tmp_path, run_tap, tap_config, loglevel):
    greenhouse.faults.configure(FaultConfig(revoke_after_requests=4, error_rate=0.05, seed=2))

    run = run_tap(tap_config(greenhouse), tmp_path, env={"TAP_GREENHOUSE_LOGLEVEL": loglevel})

    assert run.returncode == 0, run.stderr
    secrets = greenhouse.app.secrets()
    assert len(secrets) >= 4  # two client secrets and at least two issued tokens
    logged_urls = " ".join(entry.url for entry in greenhouse.vendor_requests())
    for secret in secrets:
        assert secret not in run.stderr
        assert secret not in run.stdout
        assert secret not in logged_urls


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BAD_CONFIGS = [
    ("missing client_id", {"client_id": None}, "client_id"),
    ("empty client_secret", {"client_secret": ""}, "client_secret"),
    ("wrong client_secret", {"client_secret": "not-the-secret"}, "client_secret"),
    ("malformed start_date", {"start_date": "last tuesday"}, "start_date"),
    ("page_size above 500", {"page_size": 900}, "page_size"),
    ("negative page_size", {"page_size": -5}, "page_size"),
    ("negative lookback", {"lookback_minutes": -1}, "lookback_minutes"),
    ("api_url not a URL", {"api_url": "harvest.greenhouse.io"}, "api_url"),
    ("unreachable token endpoint", {"auth_url": "CLOSED"}, "auth_url"),
    ("unknown user_id", {"user_id": 424242}, "user_id"),
    ("user_id not a number", {"user_id": "admin"}, "user_id"),
]


@pytest.mark.parametrize(
    ("case", "overrides", "setting"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_fails_with_one_clear_line(
    greenhouse, tmp_path, run_tap, tap_config, case, overrides, setting
):
    if overrides.get("auth_url") == "CLOSED":
        overrides = {"auth_url": f"http://127.0.0.1:{_closed_port()}/token"}
    config = tap_config(greenhouse)
    for key, value in overrides.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value

    run = run_tap(config, tmp_path)

    assert run.returncode != 0, case
    assert "Traceback" not in run.stderr
    problem_lines = run.error_lines()
    assert len(problem_lines) == 1, run.stderr
    assert setting in problem_lines[0]
    assert "sandbox-secret" not in run.stderr
    assert run.records == {}


def test_about_works_without_config_or_network():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("tap-greenhouse")), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/nonexistent",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
        },
    )
    about = json.loads(result.stdout)
    assert about["name"] == "tap-greenhouse"
    assert about["settings"]["properties"]["client_secret"]["secret"] is True
    assert "client_id" in about["settings"]["required"]
