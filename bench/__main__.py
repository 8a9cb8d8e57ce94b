"""`make bench`: each tap against its sandbox, side by side with a dlt `rest_api` peer.

Measures raw throughput (tap vs the dlt peer's `pipeline.extract`, same records, same
sandbox), peak memory at two sizes, the time of a full sync under the published rate limit
and realistic latency against its lower bound (pages ÷ allowed rate), and end to end into
PostgreSQL (`meltano run <tap> target-postgres` vs the peer's `pipeline.run`).

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
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sandbox.core.registry import default_rate_limit, start_server

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
PEER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres:trust@127.0.0.1:5432/test"
)
INVENIAS_LISTS = (
    "people companies assignments programmes placements appointments journal documents"
).split()


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def comparable_streams(vendor: str, server: Any) -> dict[str, str]:
    """Tap stream name -> the peer's endpoint name, for the streams both sides read."""
    if vendor == "greenhouse":
        return {name: name for name in server.app.resources()}
    if vendor == "bullhorn":
        return {_snake(entity): entity for entity in server.app.resources()}
    return {**{name: name for name in INVENIAS_LISTS}, "lookup_lists": "lookuplists"}


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


def tap_config(vendor: str, credentials: dict[str, str], *, paced: bool) -> dict[str, Any]:
    """Settings pointing a tap at a sandbox, at its largest page size.

    `paced=False` lifts the tap's own pacing (raw throughput has no server limit either).
    """
    config: dict[str, Any] = dict(credentials)
    if vendor == "greenhouse":
        config["page_size"] = 500
    if vendor == "bullhorn" and not paced:
        config["max_requests_per_minute"] = 10_000_000
    if vendor == "invenias" and not paced:
        config["max_requests_per_window"] = 10_000_000
    return config


def select_catalog(vendor: str, config_path: str, streams: set[str] | None) -> str | None:
    """A catalog selecting only `streams` (None: the tap's default, every stream)."""
    if streams is None:
        return None
    discovered = subprocess.run(
        [str(BIN / f"tap-{vendor}"), "--config", config_path, "--discover"],
        capture_output=True,
        text=True,
        check=True,
    )
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(catalog, handle)
        return handle.name


class PeakMemory:
    """Follows a child's VmHWM (its own high-water RSS) in /proc while it runs.

    `ru_maxrss` from wait4 would not do: Linux carries the RSS of the forked parent (here
    the bench, sandbox data included) into the child's figure across exec.
    """

    def __init__(self, pid: int) -> None:
        self.status = Path(f"/proc/{pid}/status")
        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def read(self) -> None:
        try:
            text = self.status.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def _follow(self) -> None:
        while not self._done.wait(0.05):
            self.read()

    def stop(self) -> float:
        """Stop following (call before reaping the child); the peak in MB."""
        self._done.set()
        self._thread.join()
        self.read()
        return self.peak_kb / 1024


def run_tap(
    vendor: str, server: Any, *, paced: bool = True, streams: set[str] | None = None
) -> TapMeasurement:
    """Run the tap CLI with stdout counted and discarded; measure the child process."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(tap_config(vendor, server.app.credentials(), paced=paced), handle)
        config_path = handle.name
    catalog_path = select_catalog(vendor, config_path, streams)
    command = [str(BIN / f"tap-{vendor}"), "--config", config_path]
    if catalog_path:
        command += ["--catalog", catalog_path]
    server.clear_log()
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # Records are counted by `grep -c` in its own process, as near to /dev/null as a count
    # gets: a reader thread here would share the GIL with the sandbox serving the tap.
    counter = subprocess.Popen(
        ["grep", "-c", '"type":"RECORD"'], stdin=process.stdout, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.close()
    memory = PeakMemory(process.pid)
    counted, _ = counter.communicate()
    peak_rss_mb = memory.stop()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    records = int(counted or 0)
    Path(config_path).unlink()
    if catalog_path:
        Path(catalog_path).unlink()
    if status != 0:
        msg = f"tap-{vendor} exited with status {status}"
        raise RuntimeError(msg)
    return TapMeasurement(
        records=records,
        requests=server.stats()["requests"],
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=peak_rss_mb,
    )


def run_peer(vendor: str, server: Any, resources: Any, mode: str, **extra: Any) -> dict[str, Any]:
    """Run the dlt peer in its own virtualenv; measure the child process like the tap."""
    with tempfile.TemporaryDirectory() as pipelines_dir:
        config = {
            **server.app.credentials(),
            "resources": resources,
            "pipelines_dir": pipelines_dir,
            **extra,
        }
        started = time.monotonic()
        process = subprocess.run(
            [str(PEER_PYTHON), str(ROOT / "bench" / "peers.py"), vendor, json.dumps(config), mode],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
    if process.returncode != 0:
        msg = f"dlt peer for {vendor} failed: {process.stderr[-2000:]}"
        raise RuntimeError(msg)
    report = json.loads(process.stdout.strip().splitlines()[-1])
    return {"records": report["records"], "wall_seconds": round(wall, 2)}


def throughput(vendor: str, records: int) -> dict[str, Any]:
    """Raw throughput, tap vs dlt peer, same streams, no latency, no rate limit."""
    server = start_server(vendor, records=records, seed=1)
    try:
        streams = comparable_streams(vendor, server)
        sources = {"lookup_lists": "lookuplists"}
        expected = sum(
            len(server.app.dump(sources.get(name, endpoint) if vendor == "invenias" else endpoint))
            for name, endpoint in streams.items()
        )
        measured = run_tap(vendor, server, paced=False, streams=set(streams))
        peer_resources: Any = list(streams) if vendor == "greenhouse" else streams
        peer = run_peer(vendor, server, peer_resources, "extract")
    finally:
        server.stop()
    peer_rate = peer["records"] / peer["wall_seconds"] if peer["wall_seconds"] else 0.0
    return {
        "records_expected": expected,
        **asdict(measured),
        "records_per_second": round(measured.records_per_second),
        "dlt_records": peer["records"],
        "dlt_wall_seconds": peer["wall_seconds"],
        "dlt_records_per_second": round(peer_rate),
        "ratio_vs_dlt": round(measured.records_per_second / peer_rate, 2) if peer_rate else None,
    }


def end_to_end(vendor: str, records: int) -> dict[str, Any]:
    """`meltano run <tap> target-postgres` vs the dlt peer's `pipeline.run()` into Postgres."""
    server = start_server(vendor, records=records, seed=1)
    try:
        streams = comparable_streams(vendor, server)
        env = {
            **os.environ,
            **{
                f"TAP_{vendor.upper()}_{k.upper()}": str(v)
                for k, v in tap_config(vendor, server.app.credentials(), paced=False).items()
            },
            f"TAP_{vendor.upper()}__SELECT": json.dumps([f"{name}.*" for name in streams]),
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": f"bench_tap_{vendor}",
        }
        started = time.monotonic()
        subprocess.run(
            [
                str(MELTANO),
                "run",
                "--full-refresh",
                "--state-id-suffix",
                "bench",
                f"tap-{vendor}",
                "target-postgres",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
        tap_seconds = time.monotonic() - started
        peer_resources: Any = list(streams) if vendor == "greenhouse" else streams
        peer = run_peer(
            vendor,
            server,
            peer_resources,
            "run",
            postgres_url=POSTGRES_URL,
            dataset=f"bench_dlt_{vendor}",
        )
    finally:
        server.stop()
    return {
        "meltano_seconds": round(tap_seconds, 1),
        "dlt_seconds": peer["wall_seconds"],
        "dlt_records": peer["records"],
        "ratio_time_dlt_over_meltano": round(peer["wall_seconds"] / tap_seconds, 2),
    }


def memory(vendor: str, targets: list[int], emitted_per_unit: float) -> dict[str, Any]:
    """Peak RSS of full syncs emitting about `targets` records: flat means nothing piles up.

    The sandbox is sized by its largest streams, so each target is converted with the
    emitted-per-unit ratio of the throughput run; the key is the count actually emitted.
    """
    peaks = {}
    for target in targets:
        size = max(1, round(target / emitted_per_unit))
        server = start_server(vendor, records=size, seed=1)
        try:
            measured = run_tap(vendor, server, paced=False)
        finally:
            server.stop()
        peaks[str(measured.records)] = round(measured.peak_rss_mb, 1)
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
        "Raw throughput (no latency, no rate limit, same streams on both sides):",
        "",
        "| Tap | Records (tap / dlt / source) | Tap s | Tap CPU s | Tap rec/s | dlt s "
        "| dlt rec/s | Tap ÷ dlt |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for vendor, data in results["taps"].items():
        raw = data["throughput"]
        lines.append(
            f"| tap-{vendor} | {raw['records']:,} / {raw['dlt_records']:,} / "
            f"{raw['records_expected']:,} | {raw['wall_seconds']:.1f} | "
            f"{raw['cpu_seconds']:.1f} | {raw['records_per_second']:,} | "
            f"{raw['dlt_wall_seconds']:.1f} | {raw['dlt_records_per_second']:,} | "
            f"{raw['ratio_vs_dlt']} |"
        )
    lines += ["", "| Tap | Peak RSS MB by records emitted (whole sync) |", "|---|---|"]
    for vendor, data in results["taps"].items():
        peaks = ", ".join(
            f"{int(k):,}: {v}" for k, v in data["memory"]["peak_rss_mb_by_records"].items()
        )
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
    lines += [
        "",
        "End to end into PostgreSQL (same streams):",
        "",
        "| Tap | meltano run s | dlt run() s | dlt ÷ meltano |",
        "|---|---:|---:|---:|",
    ]
    for vendor, data in results["taps"].items():
        e2e = data.get("end_to_end")
        if e2e:
            lines.append(
                f"| tap-{vendor} | {e2e['meltano_seconds']} | {e2e['dlt_seconds']} | "
                f"{e2e['ratio_time_dlt_over_meltano']} |"
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
    parser.add_argument("--memory-records", type=int, nargs=2, default=[10_000, 1_000_000])
    parser.add_argument("--e2e-records", type=int, default=20_000)
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
    markdown = ""
    for vendor in args.taps:
        print(f"tap-{vendor}: throughput", flush=True)
        data: dict[str, Any] = {"throughput": throughput(vendor, args.records)}
        print(f"tap-{vendor}: memory", flush=True)
        raw = data["throughput"]
        data["memory"] = memory(
            vendor, list(args.memory_records), raw["records_expected"] / args.records
        )
        print(f"tap-{vendor}: rate-limit bound", flush=True)
        data["rate_limit"] = rate_limit_bound(vendor, args.bound_records, args.latency_ms)
        print(f"tap-{vendor}: end to end", flush=True)
        data["end_to_end"] = end_to_end(vendor, args.e2e_records)
        results["taps"][vendor] = data
        print(json.dumps(data), flush=True)
        # Written after every tap so a long run that is cut short keeps what it measured.
        markdown = write_results(results)
    print(markdown)
    return 0


def write_results(results: dict[str, Any]) -> str:
    """Write latest.json and latest.md; return the markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (RESULTS / "latest.md").write_text(markdown)
    return markdown


if __name__ == "__main__":
    sys.exit(main())
