"""Fixtures: a fresh in-process Bullhorn sandbox per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox.core.registry import start_server
from sandbox.core.server import SandboxServer


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = start_server("bullhorn", records=120, seed=7)
    try:
        yield srv
    finally:
        srv.stop()
