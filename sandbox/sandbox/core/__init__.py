"""Vendor-independent parts of the sandbox: HTTP server, faults, rate limits, fake data."""

from sandbox.core.faults import FaultConfig
from sandbox.core.http import Request, Response, SandboxApp
from sandbox.core.ratelimit import FixedWindowLimiter
from sandbox.core.server import SandboxServer

__all__ = [
    "FaultConfig",
    "FixedWindowLimiter",
    "Request",
    "Response",
    "SandboxApp",
    "SandboxServer",
]
