"""Helpers that run tap-bullhorn against an in-process Bullhorn sandbox."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.core.server import SandboxServer
from tap_bullhorn.tap import TapBullhorn

TAP_EXECUTABLE = Path(sys.executable).parent / "tap-bullhorn"
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
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    *,
    expect_error: bool = False,
    before_sync: Callable[[], None] | None = None,
) -> RunResult:
    """Run a full sync in-process, capturing Singer messages and log output."""
    # The msgspec writer writes bytes to `sys.stdout.buffer`.
    written = io.BytesIO()
    stdout = io.TextIOWrapper(written, encoding="utf-8")
    log_stream = io.StringIO()
    handler = logging.StreamHandler(log_stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    error: BaseException | None = None
    try:
        with contextlib.redirect_stdout(stdout):
            tap = TapBullhorn(config=config, state=state, validate_config=True)
            if before_sync:
                before_sync()
            tap.sync_all()
    except Exception as exc:
        if not expect_error:
            raise
        error = exc
    finally:
        root.removeHandler(handler)
    stdout.flush()
    lines = written.getvalue().decode().splitlines()
    messages = [json.loads(line) for line in lines if line.strip()]
    return RunResult(messages, log_stream.getvalue(), error)


def iso_to_ms(value: str) -> int:
    return int(datetime.fromisoformat(value).timestamp() * 1000)


def run_cli(
    *args: str, config: dict[str, Any] | None, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `tap-bullhorn` executable with a config file."""
    command = [str(TAP_EXECUTABLE)]
    if config is not None:
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")
        command += ["--config", str(config_path)]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
