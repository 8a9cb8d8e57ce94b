"""Issue 4: after any sequence of runs, the warehouse holds exactly what the source holds.

Every test drives real `meltano run` pipelines against an in-process sandbox and compares
the PostgreSQL tables (or JSONL files) with the sandbox's own data.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sandbox.core.faults import FaultConfig
from sandbox.core.ratelimit import FixedWindowLimiter
from sandbox.core.registry import default_rate_limit, start_server
from vendors import VENDORS, Vendor

pytestmark = pytest.mark.meltano

RECORDS = 200
EVIDENCE = Path(__file__).resolve().parents[1] / "output" / "e2e-evidence.jsonl"


@pytest.fixture(params=VENDORS, ids=[vendor.name for vendor in VENDORS])
def vendor(request: Any) -> Vendor:
    return request.param


@pytest.fixture
def server(vendor: Vendor) -> Any:
    running = start_server(vendor.name, records=RECORDS, seed=31)
    yield running
    running.stop()


def record_evidence(test: str, vendor: Vendor, **figures: Any) -> None:
    """Append the figures the closing note reports (rows, 429s, faults)."""
    EVIDENCE.parent.mkdir(parents=True, exist_ok=True)
    with EVIDENCE.open("a") as handle:
        handle.write(json.dumps({"test": test, "tap": vendor.tap, **figures}) + "\n")


def table_keys(postgres: Any, schema: str, vendor: Vendor, resource: str) -> list[Any]:
    column = vendor.pg_key_column
    table = vendor.stream_name(resource).lower()
    rows = postgres.execute(f'SELECT "{column}" FROM "{schema}"."{table}"').fetchall()
    return sorted(row[0] for row in rows)


def assert_tables_match_sandbox(postgres: Any, schema: str, vendor: Vendor, server: Any) -> int:
    """Every stream's table holds exactly the sandbox's keys, once each; returns row count."""
    total = 0
    for resource in vendor.streams(server):
        keys = table_keys(postgres, schema, vendor, resource)
        assert keys == vendor.keys(server, resource), resource
        total += len(keys)
    return total


def assert_no_secret(server: Any, *outputs: str) -> None:
    logged_urls = " ".join(entry.url for entry in server.vendor_requests())
    for secret in server.app.secrets():
        for text in (*outputs, logged_urls):
            assert secret not in text


def test_full_then_incremental_into_jsonl(
    vendor, server, tmp_path, meltano_factory, read_jsonl, assert_run_ok
):
    first_dir, second_dir, third_dir = tmp_path / "1", tmp_path / "2", tmp_path / "3"
    meltano = meltano_factory(vendor.env(server))

    first = meltano.run(
        vendor.tap, "target-jsonl", extra_env={"TARGET_JSONL_DESTINATION_PATH": str(first_dir)}
    )
    assert_run_ok(first)
    written = read_jsonl(first_dir)
    for resource in vendor.streams(server):
        rows = written[vendor.stream_name(resource)]
        assert sorted(row[vendor.key] for row in rows) == vendor.keys(server, resource)

    resource = vendor.streams(server)[0]
    stream = vendor.stream_name(resource)
    changed = server.app.mutate("insert", resource, 2) + server.app.mutate("update", resource, 3)
    second = meltano.run(
        vendor.tap, "target-jsonl", extra_env={"TARGET_JSONL_DESTINATION_PATH": str(second_dir)}
    )
    assert_run_ok(second)
    emitted = read_jsonl(second_dir)
    emitted_keys = {row[vendor.key] for row in emitted.get(stream, [])}
    # Only the changed rows and the small lookback overlap come through again.
    assert set(changed) <= emitted_keys
    assert len(emitted_keys) < len(written[stream]) / 4

    third = meltano.run(
        vendor.tap, "target-jsonl", extra_env={"TARGET_JSONL_DESTINATION_PATH": str(third_dir)}
    )
    assert_run_ok(third)
    again = read_jsonl(third_dir)
    assert len(again.get(stream, [])) <= len(emitted_keys)
    record_evidence(
        "incremental_jsonl",
        vendor,
        full_rows=sum(len(rows) for rows in written.values()),
        second_run_rows=sum(len(rows) for rows in emitted.values()),
        third_run_rows=sum(len(rows) for rows in again.values()),
    )
    assert_no_secret(server, first.output, second.output, third.output)


def test_interrupted_run_resumes_without_missing_keys(
    vendor, server, postgres, pg_schema, meltano_factory, assert_run_ok
):
    meltano = meltano_factory(
        {
            **vendor.env(server),
            **vendor.many_pages,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": pg_schema,
        }
    )
    kill_after = 25

    def kill_tap(count: int) -> None:
        if count == kill_after:
            subprocess.run(
                ["pkill", "-KILL", "-f", f"extractors/{vendor.tap}/venv/bin/{vendor.tap}"],
                check=False,
            )

    server.on_vendor_request = kill_tap
    interrupted = meltano.run(vendor.tap, "target-postgres")
    server.on_vendor_request = None
    assert interrupted.returncode != 0, "the tap was expected to die mid-run"

    resumed = meltano.run(vendor.tap, "target-postgres")
    assert_run_ok(resumed)
    rows = assert_tables_match_sandbox(postgres, pg_schema, vendor, server)
    record_evidence("interrupted", vendor, killed_after_requests=kill_after, rows=rows)


def test_faults_do_not_change_the_result(
    vendor, server, postgres, pg_schema, meltano_factory, assert_run_ok
):
    server.faults.configure(
        FaultConfig(
            error_rate=0.10,
            reset_rate=0.03,
            burst_429=4,
            burst_429_retry_after=1,
            revoke_after_requests=15,
            seed=4,
        )
    )
    meltano = meltano_factory(
        {**vendor.env(server), "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": pg_schema}
    )

    run = meltano.run(vendor.tap, "target-postgres")

    assert_run_ok(run)
    rows = assert_tables_match_sandbox(postgres, pg_schema, vendor, server)
    injected = dict(server.faults.injected)
    assert injected.get("burst_429") == 4
    assert injected.get("token_revocation") == 1
    assert sum(v for k, v in injected.items() if k.startswith("http_5")) >= 1
    record_evidence("faults", vendor, rows=rows, faults_injected=injected)
    assert_no_secret(server, run.output)


def test_published_rate_limit_is_never_hit(
    vendor, server, tmp_path, meltano_factory, read_jsonl, assert_run_ok
):
    limit, window = default_rate_limit(vendor.name)
    # Scale big windows down (same rate) so the test spans several windows in seconds.
    scale = vendor.rate_limit_scale if limit > 100 else 1
    scaled_limit, scaled_window = limit // scale, window / scale
    server.app.limiter = FixedWindowLimiter(scaled_limit, scaled_window)
    meltano = meltano_factory(
        {
            **vendor.env(server),
            **vendor.many_pages,
            **vendor.pacing_env(scaled_limit, scaled_window),
            "TARGET_JSONL_DESTINATION_PATH": str(tmp_path),
        }
    )

    run = meltano.run(vendor.tap, "target-jsonl")

    assert_run_ok(run)
    written = read_jsonl(tmp_path)
    for resource in vendor.streams(server):
        rows = written[vendor.stream_name(resource)]
        assert sorted(row[vendor.key] for row in rows) == vendor.keys(server, resource)
    requests = server.stats()["requests"]
    served_429 = server.stats()["rate_limited"]
    record_evidence(
        "rate_limit",
        vendor,
        limit=f"{scaled_limit}/{scaled_window}s",
        requests=requests,
        served_429=served_429,
    )
    assert requests > scaled_limit  # the sync really needed more than one window
    assert served_429 == 0


def _bad_config_cases() -> list[Any]:
    return [
        pytest.param(vendor, bad, id=f"{vendor.name}-{bad.case}")
        for vendor in VENDORS
        for bad in vendor.bad_configs
    ]


@pytest.mark.parametrize(("bad_vendor", "bad"), _bad_config_cases())
def test_bad_config_fails_with_a_clear_line(bad_vendor, bad, meltano_factory, tmp_path):
    running = start_server(bad_vendor.name, records=20, seed=1)
    try:
        env = {
            **bad_vendor.env(running),
            **bad.overrides(running),
            "TARGET_JSONL_DESTINATION_PATH": str(tmp_path),
        }
        run = meltano_factory(env).run(bad_vendor.tap, "target-jsonl")
        assert run.returncode != 0
        assert "Traceback" not in run.output
        tap_errors = [
            line
            for line in run.output.splitlines()
            if bad_vendor.tap in line and ("[error" in line or "ERROR" in line)
        ]
        assert any(bad.names in line for line in tap_errors), run.output[-3000:]
        assert_no_secret(running, run.output)
    finally:
        running.stop()
