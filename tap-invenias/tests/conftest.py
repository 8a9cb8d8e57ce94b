"""Fixtures: a fresh in-process Invenias sandbox per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox.core.registry import start_server
from sandbox.core.server import SandboxServer

RECORDS = 150


@pytest.fixture
def invenias() -> Iterator[SandboxServer]:
    server = start_server("invenias", records=RECORDS, seed=7)
    try:
        yield server
    finally:
        server.stop()
