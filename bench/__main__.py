"""`make bench`: throughput, memory and the rate-limit bound of each tap against its sandbox.

Results go to bench/results/latest.md and latest.json. Sizes scale with BENCH_RECORDS
(records in the largest streams, default 200,000) so a quick run is possible:
`BENCH_RECORDS=5000 make bench`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sandbox.core.registry import default_rate_limit, start_server

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent


@dataclass
class TapMeasurement:
    """One tap run: what it read and what it cost."""

    records: int
    requests: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    @property
    def records_per_second(self) -> float:
        return self.records / self.wall_seconds if self.wall_seconds else 0.0


def tap_config(vendor: str, credentials: dict[str, str]) -> dict[str, Any]:
    """Settings pointing a tap at a sandbox, at its largest page size."""
    if vendor == "greenhouse":
        return {
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
            "api_url": credentials["api_url"],
            "auth_url": credentials["auth_url"],
            "page_size": 500,
        }
    return dict(credentials)


def run_tap(vendor: str, server: Any) -> TapMeasurement:
    """Run the tap CLI with stdout counted and discarded; measure the child process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(tap_config(vendor, server.app.credentials()), handle)
        config_path = handle.name
    server.clear_log()
    started = time.monotonic()
    process = subprocess.Popen(
        [str(BIN / f"tap-{vendor}"), "--config", config_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    records = 0
    assert process.stdout is not None
    while chunk := process.stdout.read(1 << 20):
        records += chunk.count(b'"type":"RECORD"')
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    Path(config_path).unlink()
    if status != 0:
        msg = f"tap-{vendor} exited with status {status}"
        raise RuntimeError(msg)
    return TapMeasurement(
        records=records,
        requests=server.stats()["requests"],
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,
    )


def throughput(vendor: str, records: int) -> dict[str, Any]:
    """Raw tap throughput with no latency and no rate limit."""
    server = start_server(vendor, records=records, seed=1)
    try:
        expected = sum(len(server.app.dump(name)) for name in server.app.resources())
        measured = run_tap(vendor, server)
    finally:
        server.stop()
    return {
        "records_expected": expected,
        **asdict(measured),
        "records_per_second": round(measured.records_per_second),
    }


def memory(vendor: str, sizes: list[int]) -> dict[str, Any]:
    """Peak RSS at two data sizes: flat means nothing is accumulated."""
    peaks = {}
    for size in sizes:
        server = start_server(vendor, records=size, seed=1)
        try:
            peaks[str(size)] = round(run_tap(vendor, server).peak_rss_mb, 1)
        finally:
            server.stop()
    return {"peak_rss_mb_by_records": peaks}


def rate_limit_bound(vendor: str, records: int, latency_ms: float) -> dict[str, Any]:
    """Full sync under the published limit and realistic latency vs pages ÷ allowed rate."""
    limit, window = default_rate_limit(vendor)
    server = start_server(
        vendor, records=records, seed=1, latency_ms=latency_ms, rate_limit=(limit, window)
    )
    try:
        measured = run_tap(vendor, server)
        served_429 = server.stats()["rate_limited"]
    finally:
        server.stop()
    api_requests = measured.requests
    bound = api_requests / (limit / window)
    return {
        "limit": f"{limit} per {window:g} s",
        "latency_ms": latency_ms,
        "requests": api_requests,
        "bound_seconds": round(bound, 1),
        "wall_seconds": round(measured.wall_seconds, 1),
        "time_over_bound": round(measured.wall_seconds / bound, 2),
        "served_429": served_429,
    }


def render_markdown(results: dict[str, Any]) -> str:
    """The results table for latest.md."""
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {results['machine']}. Records in the largest streams: {results['records']:,}.",
        "",
        "| Tap | Records | Wall s | CPU s | Records/s | Peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for vendor, data in results["taps"].items():
        raw = data["throughput"]
        lines.append(
            f"| tap-{vendor} | {raw['records']:,} of {raw['records_expected']:,} | "
            f"{raw['wall_seconds']:.1f} | {raw['cpu_seconds']:.1f} | "
            f"{raw['records_per_second']:,} | {raw['peak_rss_mb']:.0f} |"
        )
    lines += ["", "| Tap | Peak RSS MB by records |", "|---|---|"]
    for vendor, data in results["taps"].items():
        peaks = ", ".join(f"{k}: {v}" for k, v in data["memory"]["peak_rss_mb_by_records"].items())
        lines.append(f"| tap-{vendor} | {peaks} |")
    lines += [
        "",
        "| Tap | Limit | Latency ms | Requests | Bound s | Wall s | Time ÷ bound | 429s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for vendor, data in results["taps"].items():
        bound = data["rate_limit"]
        lines.append(
            f"| tap-{vendor} | {bound['limit']} | {bound['latency_ms']:g} | {bound['requests']} | "
            f"{bound['bound_seconds']} | {bound['wall_seconds']} | {bound['time_over_bound']} | "
            f"{bound['served_429']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--records", type=int, default=int(os.environ.get("BENCH_RECORDS", "200000"))
    )
    parser.add_argument("--bound-records", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=150.0)
    installed = [v for v in ("greenhouse", "bullhorn", "invenias") if (BIN / f"tap-{v}").exists()]
    parser.add_argument("--taps", nargs="+", default=installed)
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "records": args.records,
        "taps": {},
    }
    for vendor in args.taps:
        print(f"tap-{vendor}: throughput", flush=True)
        data: dict[str, Any] = {"throughput": throughput(vendor, args.records)}
        print(f"tap-{vendor}: memory", flush=True)
        data["memory"] = memory(vendor, [max(1, args.records // 20), args.records])
        print(f"tap-{vendor}: rate-limit bound", flush=True)
        data["rate_limit"] = rate_limit_bound(vendor, args.bound_records, args.latency_ms)
        results["taps"][vendor] = data

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (RESULTS / "latest.md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
