"""Helpers that run the installed `tap-invenias` against an in-process Invenias sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.core.server import SandboxServer

TAP_EXECUTABLE = str(Path(sys.executable).with_name("tap-invenias"))
CONNECTION_KEYS = ("client_id", "client_secret", "username", "password", "subdomain", "base_url")


@dataclass
class TapRun:
    """What one CLI run of the tap produced."""

    returncode: int
    stdout: str
    stderr: str
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    states: list[dict[str, Any]] = field(default_factory=list)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def final_state(self) -> dict[str, Any]:
        return self.states[-1] if self.states else {}

    def ids(self, stream: str) -> list[str]:
        return [row["ItemId"] for row in self.records.get(stream, [])]

    def error_lines(self) -> list[str]:
        """ERROR lines, minus the SDK's generic context lines around ours."""
        return [
            line
            for line in self.stderr.splitlines()
            if "| ERROR" in line
            and "An unhandled error occurred while syncing" not in line
            and "Config validation failed" not in line
        ]


def tap_config(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """Settings pointing the tap at a sandbox; quota pacing matches the sandbox's limit."""
    credentials = server.app.credentials()
    config: dict[str, Any] = {key: credentials[key] for key in CONNECTION_KEYS}
    config["start_date"] = "2015-01-01T00:00:00Z"
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


def parse_output(completed: subprocess.CompletedProcess[str] | Any) -> TapRun:
    """Split Singer messages into records, states and schemas."""
    run = TapRun(completed.returncode, completed.stdout, completed.stderr)
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in completed.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue  # a line cut by a killed process, or a --discover catalog
        if not isinstance(message, dict):
            continue
        if message["type"] == "RECORD":
            records[message["stream"]].append(message["record"])
        elif message["type"] == "STATE":
            run.states.append(message["value"])
        elif message["type"] == "SCHEMA":
            run.schemas[message["stream"]] = message["schema"]
    run.records = dict(records)
    return run


def tap_command(
    config: dict[str, Any], tmp_path: Path, state: dict[str, Any] | None, extra: list[str]
) -> list[str]:
    """The CLI invocation for a config (and optional state) written to `tmp_path`."""
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    args = [TAP_EXECUTABLE, "--config", str(config_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        args += ["--state", str(state_file)]
    return args + extra


def run_tap(
    config: dict[str, Any],
    tmp_path: Path,
    state: dict[str, Any] | None = None,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> TapRun:
    """Run `tap-invenias` as a user would and parse its Singer output."""
    completed = subprocess.run(
        tap_command(config, tmp_path, state, extra_args or []),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        check=False,
    )
    # The CLI logs deprecation warnings instead of raising them: none may appear.
    assert "DeprecationWarning" not in completed.stderr, completed.stderr
    return parse_output(completed)
