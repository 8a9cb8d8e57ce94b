"""`make demo`: start the sandboxes, run every tap through Meltano, print what landed.

Each tap runs `meltano run <tap> target-jsonl` against its sandbox (the `dev` environment
in meltano.yml points at ports 8701-8703), and `<tap> target-postgres` too when the local
PostgreSQL server (or DATABASE_URL) answers.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from sandbox.core.registry import start_server

ROOT = Path(__file__).resolve().parents[1]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
DEMO_PORTS = {"greenhouse": 8701, "bullhorn": 8702, "invenias": 8703}
RECORDS = int(os.environ.get("DEMO_RECORDS", "2000"))
# Meltano re-renders the SDK's structured logs: a stream's "Beginning sync of 'x'" line is
# followed by its sync_duration metric.
LOG_EVENT = re.compile(
    r"Beginning sync of '(\w+)'|metric_name=sync_duration metric_value=([0-9.]+)"
)


def available_taps() -> list[str]:
    """Taps defined in meltano.yml whose package exists in this checkout."""
    text = (ROOT / "meltano.yml").read_text()
    return [
        vendor
        for vendor in DEMO_PORTS
        if f"name: tap-{vendor}" in text and (ROOT / f"tap-{vendor}").is_dir()
    ]


def postgres_target() -> dict[str, str] | None:
    """Connection env for target-postgres, or None when no server answers."""
    url = os.environ.get("DATABASE_URL")
    env = {}
    if url:
        parsed = urlparse(url)
        env = {
            "TARGET_POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "TARGET_POSTGRES_PORT": str(parsed.port or 5432),
            "TARGET_POSTGRES_USER": parsed.username or "postgres",
            "TARGET_POSTGRES_PASSWORD": parsed.password or "",
            "TARGET_POSTGRES_DATABASE": (parsed.path or "/postgres").lstrip("/"),
        }
    host = env.get("TARGET_POSTGRES_HOST", "127.0.0.1")
    port = env.get("TARGET_POSTGRES_PORT", "5432")
    probe = subprocess.run(["pg_isready", "-h", host, "-p", port], capture_output=True, check=False)
    return env if probe.returncode == 0 else None


def meltano_run(tap: str, target: str, env: dict[str, str]) -> tuple[float, str]:
    """Run one pipeline from scratch; return seconds and the combined log."""
    started = time.monotonic()
    result = subprocess.run(
        [str(MELTANO), "--environment", "dev", "run", "--full-refresh", tap, target],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        msg = f"meltano run {tap} {target} failed"
        raise SystemExit(msg)
    return seconds, result.stderr + result.stdout


def stream_durations(log: str) -> dict[str, float]:
    """Seconds each stream took, from the tap's log lines in Meltano's output."""
    durations: dict[str, float] = {}
    current = None
    for stream, seconds in LOG_EVENT.findall(log):
        if stream:
            current = stream
        elif current:
            durations[current] = durations.get(current, 0.0) + float(seconds)
            current = None
    return durations


def jsonl_counts(directory: Path) -> dict[str, int]:
    """Rows per stream in target-jsonl's output directory."""
    return {path.stem: sum(1 for _ in path.open()) for path in sorted(directory.glob("*.jsonl"))}


def main() -> int:
    """Run the demo."""
    taps = available_taps()
    servers = [
        start_server(vendor, records=RECORDS, seed=1, port=DEMO_PORTS[vendor]) for vendor in taps
    ]
    postgres = postgres_target()
    rows: list[tuple[str, str, str, int, float]] = []
    try:
        for vendor in taps:
            tap = f"tap-{vendor}"
            out_dir = ROOT / "output" / "jsonl" / vendor
            for old in out_dir.glob("*.jsonl"):
                old.unlink()
            seconds, log = meltano_run(
                tap, "target-jsonl", {"TARGET_JSONL_DESTINATION_PATH": str(out_dir)}
            )
            durations = stream_durations(log)
            for stream, count in jsonl_counts(out_dir).items():
                rows.append((tap, "jsonl", stream, count, durations.get(stream, 0.0)))
            rows.append((tap, "jsonl", "(whole run)", 0, seconds))
            if postgres is not None:
                seconds, _ = meltano_run(tap, "target-postgres", postgres)
                rows.append((tap, "postgres", "(whole run)", 0, seconds))
    finally:
        for server in servers:
            server.stop()

    print(f"\n{'tap':<16} {'target':<9} {'stream':<30} {'rows':>8} {'seconds':>8}")
    for tap, target, stream, count, seconds in rows:
        shown = "" if stream == "(whole run)" else str(count)
        print(f"{tap:<16} {target:<9} {stream:<30} {shown:>8} {seconds:>8.2f}")
    print(f"\nJSONL files: {ROOT / 'output' / 'jsonl'}/<vendor>/<stream>.jsonl")
    if postgres is None:
        print("PostgreSQL not reachable: skipped the target-postgres runs.")
    else:
        print("PostgreSQL: schemas tap_<vendor> in the configured database.")
    print(json.dumps({"records_per_big_stream": RECORDS, "taps": taps}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
