"""Finds a vendor stand-in by name: each `sandbox.<vendor>` package exposes `create_app`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from sandbox.core.server import SandboxServer

if TYPE_CHECKING:
    from sandbox.core.faults import FaultConfig
    from sandbox.core.http import SandboxApp

VENDORS = ("greenhouse", "bullhorn", "invenias")


def create_app(vendor: str, records: int, seed: int) -> SandboxApp:
    """Build the vendor's app with a seeded data set of about `records` rows per big stream."""
    if vendor not in VENDORS:
        msg = f"unknown vendor {vendor!r}; choose from {', '.join(VENDORS)}"
        raise ValueError(msg)
    module = importlib.import_module(f"sandbox.{vendor}")
    app: SandboxApp = module.create_app(records=records, seed=seed)
    return app


def default_rate_limit(vendor: str) -> tuple[int, float]:
    """The vendor's published limit as (requests, window seconds)."""
    module = importlib.import_module(f"sandbox.{vendor}")
    limit: tuple[int, float] = module.PUBLISHED_RATE_LIMIT
    return limit


def start_server(
    vendor: str,
    records: int = 200,
    seed: int = 1,
    port: int = 0,
    latency_ms: float = 0.0,
    faults: FaultConfig | None = None,
    rate_limit: tuple[int, float] | None = None,
) -> SandboxServer:
    """Start a vendor sandbox on 127.0.0.1 and return the running server."""
    app = create_app(vendor, records=records, seed=seed)
    server = SandboxServer(
        app, port=port, latency_ms=latency_ms, faults=faults, rate_limit=rate_limit
    )
    return server.start()
