"""End-to-end fixtures: Meltano, the sandboxes and the local PostgreSQL server."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
PG_DSN = os.environ.get("E2E_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")


@dataclass
class MeltanoRun:
    """The outcome of one `meltano run`."""

    returncode: int
    output: str


class Meltano:
    """Runs Meltano commands in this repository's project with per-test isolation."""

    def __init__(self, env: dict[str, str], state_suffix: str) -> None:
        self.env = env
        self.state_suffix = state_suffix

    def run(self, *blocks: str, extra_env: dict[str, str] | None = None) -> MeltanoRun:
        """`meltano run` with this test's state id suffix and environment."""
        if not MELTANO.exists():
            pytest.fail("Meltano is not installed: run `make test` (it installs .venv-meltano)")
        completed = subprocess.run(
            [
                str(MELTANO),
                "--environment",
                "dev",
                "run",
                "--state-id-suffix",
                self.state_suffix,
                *blocks,
            ],
            cwd=ROOT,
            env={**os.environ, **self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        return MeltanoRun(completed.returncode, completed.stdout + completed.stderr)


@pytest.fixture
def meltano_factory() -> Any:
    """Build a `Meltano` runner for a tap pointed at the given settings."""

    def build(env: dict[str, str]) -> Meltano:
        return Meltano(env, state_suffix=f"e2e-{uuid.uuid4().hex[:10]}")

    return build


@pytest.fixture
def postgres() -> Iterator[Any]:
    """A connection to the local server; missing Postgres fails in CI, skips elsewhere."""
    psycopg = pytest.importorskip("psycopg")
    try:
        connection = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield connection
    connection.close()


@pytest.fixture
def pg_schema(postgres: Any) -> Iterator[str]:
    """A fresh schema name for one test, dropped afterwards."""
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    yield name
    postgres.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def jsonl_rows(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Rows target-jsonl wrote, per stream."""
    return {
        path.stem: [json.loads(line) for line in path.open()]
        for path in sorted(directory.glob("*.jsonl"))
    }


@pytest.fixture
def read_jsonl() -> Any:
    """`read_jsonl(directory) -> {stream: [rows]}`."""
    return jsonl_rows


def run_ok(result: MeltanoRun) -> None:
    """Fail with Meltano's output when a run did not succeed."""
    if result.returncode != 0:
        pytest.fail(f"meltano run failed:\n{result.output[-6000:]}")


@pytest.fixture
def assert_run_ok() -> Any:
    """`assert_run_ok(result)`."""
    return run_ok
