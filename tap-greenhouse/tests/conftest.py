"""Fixtures: a fresh Greenhouse sandbox per test and a helper that runs the tap CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sandbox.core.registry import start_server
from sandbox.core.server import SandboxServer

TAP_EXECUTABLE = str(Path(sys.executable).with_name("tap-greenhouse"))
RECORDS = 300


@dataclass
class TapRun:
    """What one CLI run of the tap produced."""

    returncode: int
    stdout: str
    stderr: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    states: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def ids(self, stream: str) -> list[int]:
        return [row["id"] for row in self.records.get(stream, [])]

    def error_lines(self) -> list[str]:
        """ERROR lines, minus the SDK's generic 'unhandled error while syncing' context."""
        return [
            line
            for line in self.stderr.splitlines()
            if "| ERROR" in line
            and "An unhandled error occurred while syncing" not in line
            and "Config validation failed" not in line
        ]


def _run_tap(
    config: dict[str, Any],
    tmp_path: Path,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> TapRun:
    """Run `tap-greenhouse` as a user would, and parse its Singer output."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    args = [TAP_EXECUTABLE, "--config", str(config_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        args += ["--state", str(state_file)]
    args += extra_args or []
    completed = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        check=False,
    )
    # The CLI logs deprecation warnings instead of raising them: none may appear.
    assert "DeprecationWarning" not in completed.stderr, completed.stderr
    run = TapRun(completed.returncode, completed.stdout, completed.stderr)
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in completed.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
    run.records = dict(records)
    return run


@pytest.fixture
def greenhouse() -> Any:
    """A fresh Greenhouse sandbox with a small data set."""
    server = start_server("greenhouse", records=RECORDS, seed=7)
    yield server
    server.stop()


def _tap_config(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """Settings that point the tap at a sandbox."""
    credentials = server.app.credentials()
    config: dict[str, Any] = {
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "api_url": credentials["api_url"],
        "auth_url": credentials["auth_url"],
        "start_date": "2015-01-01T00:00:00Z",
    }
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


@pytest.fixture
def run_tap() -> Any:
    """`run_tap(config, tmp_path, state=None, env=None, extra_args=None) -> TapRun`."""
    return _run_tap


@pytest.fixture
def tap_config() -> Any:
    """`tap_config(server, **overrides)`: settings pointing the tap at a sandbox."""
    return _tap_config
