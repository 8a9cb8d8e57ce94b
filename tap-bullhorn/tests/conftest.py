"""Shared fixtures: an in-process Bullhorn sandbox and helpers that run the tap against it."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sandbox.core.registry import start_server
from sandbox.core.server import SandboxServer
from tap_bullhorn.tap import TapBullhorn

FAST = 600_000  # requests per minute: pacing off for tests that are not about it


@dataclass
class RunResult:
    messages: list[dict[str, Any]]
    logs: str
    error: BaseException | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records.setdefault(message["stream"], []).append(message["record"])

    def ids(self, stream: str) -> list[int]:
        return [row["id"] for row in self.records.get(stream, [])]

    @property
    def states(self) -> list[dict[str, Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1]


def make_config(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = dict(server.app.credentials())
    config["max_requests_per_minute"] = FAST
    config.update(overrides)
    return config


def run_tap(
    config: dict[str, Any], state: dict[str, Any] | None = None, *, expect_error: bool = False
) -> RunResult:
    """Run a full sync in-process, capturing Singer messages and log output."""
    stdout = io.StringIO()
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    error: BaseException | None = None
    try:
        with contextlib.redirect_stdout(stdout):
            tap = TapBullhorn(config=config, state=state, validate_config=True)
            tap.sync_all()
    except Exception as exc:
        if not expect_error:
            raise
        error = exc
    finally:
        root.removeHandler(handler)
    messages = [json.loads(line) for line in stdout.getvalue().splitlines() if line.strip()]
    return RunResult(messages, log_stream.getvalue(), error)


def iso_to_ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000)


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    srv = start_server("bullhorn", records=120, seed=7)
    try:
        yield srv
    finally:
        srv.stop()
