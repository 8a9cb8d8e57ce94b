"""Command line: `python -m sandbox serve greenhouse --records 5000 --seed 1`."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading

from sandbox.core.registry import VENDORS, default_rate_limit, start_server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve one or more vendor sandboxes")
    serve.add_argument("vendors", nargs="+", choices=[*VENDORS, "all"])
    serve.add_argument("--records", type=int, default=1000, help="rows in the largest streams")
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument(
        "--port", type=int, default=0, help="first port (next vendors get the next ones); 0 = any"
    )
    serve.add_argument(
        "--published-rate-limit",
        action="store_true",
        help="enforce each vendor's published rate limit",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = _parser().parse_args(argv)
    vendors = list(VENDORS) if "all" in args.vendors else args.vendors
    servers = []
    for offset, vendor in enumerate(vendors):
        server = start_server(
            vendor,
            records=args.records,
            seed=args.seed,
            port=args.port + offset if args.port else 0,
            latency_ms=args.latency_ms,
            rate_limit=default_rate_limit(vendor) if args.published_rate_limit else None,
        )
        servers.append(server)
        line = {"vendor": vendor, "base_url": server.base_url, **server.app.credentials()}
        print(json.dumps(line), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    for server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
