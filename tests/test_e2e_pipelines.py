"""Issue 4: after any sequence of runs, the warehouse holds exactly what the source holds.

Every test drives real `meltano run` pipelines against an in-process sandbox and compares
the PostgreSQL tables (or JSONL files) with the sandbox's own data.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from psycopg.rows import dict_row
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
        # A sample of rows equals the source field by field.
        by_key = {row[vendor.key]: row for row in rows}
        for source in server.app.dump(resource)[::7]:
            row = by_key[source[vendor.key]]
            wrong = {
                name: (row.get(name), value)
                for name, value in source.items()
                if not same_json(row.get(name), value)
            }
            assert not wrong, f"{resource}: written vs source {wrong}"

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


SYNC_START = re.compile(r"Beginning sync of '([^']+)'")
RECORD_COUNT = re.compile(r"metric_name=record_count metric_value=(\d+)")


def emitted_counts(output: str, tap: str) -> dict[str, int]:
    """Records the tap emitted per stream, from the SDK's record_count metric lines.

    Meltano renders the tap's structured metrics without their tags, so each count goes to
    the stream whose sync began last (streams sync one after another). The target's own
    record_count lines are left out.
    """
    counts: dict[str, int] = {}
    stream = ""
    for line in output.splitlines():
        if f" {tap} " not in line:
            continue
        if started := SYNC_START.search(line):
            stream = started.group(1)
        elif counted := RECORD_COUNT.search(line):
            counts[stream] = counts.get(stream, 0) + int(counted.group(1))
    return counts


def as_utc(value: Any) -> datetime:
    """A source timestamp (epoch milliseconds or ISO 8601) as naive UTC, as Postgres holds it."""
    if isinstance(value, int):
        moment = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    else:
        text = value.replace("Z", "+00:00")
        # .NET round-trip dates carry seven fractional digits; Python reads six.
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def same_json(written: Any, source: Any) -> bool:
    """Whether a JSONL value is the source value (epoch-millisecond dates become ISO 8601)."""
    if isinstance(source, int) and not isinstance(source, bool) and isinstance(written, str):
        return as_utc(written) == as_utc(source)
    return bool(written == source)


def same_value(stored: Any, source: Any) -> bool:
    """Whether a Postgres value is the source value with its type kept."""
    if source is None:
        return stored is None
    if isinstance(stored, datetime):
        return stored == as_utc(source)
    if isinstance(stored, date):
        return stored.isoformat() == str(source)[:10]
    if isinstance(stored, Decimal):
        return not isinstance(source, bool) and stored == Decimal(str(source))
    if isinstance(stored, float):
        return stored == float(source)
    return bool(stored == source)


def assert_sample_rows_match(
    postgres: Any, schema: str, vendor: Vendor, server: Any, resource: str, keys: list[Any]
) -> int:
    """The rows with these keys hold the source's values field by field; returns fields seen."""
    table = vendor.stream_name(resource).lower()
    column = vendor.pg_key_column
    source = {row[vendor.key]: row for row in server.app.dump(resource)}
    with postgres.cursor(row_factory=dict_row) as cursor:
        stored = {
            row[column]: row
            for row in cursor.execute(
                f'SELECT * FROM "{schema}"."{table}" WHERE "{column}" = ANY(%s)', (keys,)
            ).fetchall()
        }
    compared = 0
    for key in keys:
        expected, row = source[key], stored[key]
        wrong = {
            name: (row.get(name, "<no column>"), value)
            for name, value in expected.items()
            if not same_value(row.get(name), value)
        }
        assert not wrong, f"{resource} {key}: stored vs source {wrong}"
        compared += len(expected)
    return compared


def test_full_load_then_incremental_into_postgres(
    vendor, server, postgres, pg_schema, meltano_factory, assert_run_ok
):
    meltano = meltano_factory(
        {
            **vendor.env(server),
            # No lookback: the second run must then read exactly the changed rows.
            f"{vendor.env_prefix}LOOKBACK_MINUTES": "0",
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": pg_schema,
        }
    )
    first = meltano.run(vendor.tap, "target-postgres")
    assert_run_ok(first)
    full_rows = assert_tables_match_sandbox(postgres, pg_schema, vendor, server)
    assert sum(emitted_counts(first.output, vendor.tap).values()) >= full_rows
    fields = 0
    for resource in vendor.streams(server):
        keys = vendor.keys(server, resource)
        fields += assert_sample_rows_match(
            postgres, pg_schema, vendor, server, resource, keys[:: max(1, len(keys) // 3)]
        )

    resource = vendor.changes[0][1]
    stream = vendor.stream_name(resource)

    def latest_rows() -> set[Any]:
        rows = [r for r in server.app.dump(resource) if r.get(vendor.modified_field) is not None]
        newest = max(r[vendor.modified_field] for r in rows)
        return {r[vendor.key] for r in rows if r[vendor.modified_field] == newest}

    # The bookmark is inclusive (>=): rows sharing the newest timestamp may come again.
    tied_before = latest_rows()
    changed: set[Any] = set()
    for action, name, count in vendor.changes:
        changed |= set(server.app.mutate(action, name, count))

    second = meltano.run(vendor.tap, "target-postgres")
    assert_run_ok(second)
    second_emitted = emitted_counts(second.output, vendor.tap).get(stream, 0)
    assert len(changed) <= second_emitted <= len(changed | tied_before), second_emitted
    assert_tables_match_sandbox(postgres, pg_schema, vendor, server)
    assert_sample_rows_match(postgres, pg_schema, vendor, server, resource, sorted(changed))

    tied_after = latest_rows()
    third = meltano.run(vendor.tap, "target-postgres")
    assert_run_ok(third)
    third_emitted = emitted_counts(third.output, vendor.tap).get(stream, 0)
    assert third_emitted <= len(tied_after)
    assert_tables_match_sandbox(postgres, pg_schema, vendor, server)
    record_evidence(
        "incremental_postgres",
        vendor,
        full_rows=full_rows,
        fields_compared=fields,
        changes=[list(change) for change in vendor.changes],
        second_run_emitted=second_emitted,
        third_run_emitted=third_emitted,
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
