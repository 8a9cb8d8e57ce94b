"""`meltano run tap-greenhouse target-jsonl|target-postgres` against the Greenhouse sandbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sandbox.core.registry import start_server
from vendors import GREENHOUSE

pytestmark = pytest.mark.meltano


@pytest.fixture
def greenhouse() -> Any:
    server = start_server("greenhouse", records=250, seed=21)
    yield server
    server.stop()


def test_meltano_run_into_jsonl(greenhouse, tmp_path, meltano_factory, read_jsonl, assert_run_ok):
    meltano = meltano_factory(
        {**GREENHOUSE.env(greenhouse), "TARGET_JSONL_DESTINATION_PATH": str(tmp_path)}
    )

    assert_run_ok(meltano.run("tap-greenhouse", "target-jsonl"))

    written = read_jsonl(tmp_path)
    for resource in greenhouse.app.resources():
        expected = greenhouse.app.dump(resource)
        assert sorted(row["id"] for row in written[resource]) == [r["id"] for r in expected]
    by_id = {row["id"]: row for row in greenhouse.app.dump("offers")}
    for row in written["offers"]:
        assert row == by_id[row["id"]]
    secrets = greenhouse.app.secrets()
    logged_urls = " ".join(entry.url for entry in greenhouse.vendor_requests())
    assert not [secret for secret in secrets if secret in logged_urls]


def test_meltano_run_into_postgres_then_incremental(
    greenhouse, postgres, pg_schema, meltano_factory, assert_run_ok
):
    meltano = meltano_factory(
        {**GREENHOUSE.env(greenhouse), "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": pg_schema}
    )

    first = meltano.run("tap-greenhouse", "target-postgres")
    assert_run_ok(first)

    def table_ids(table: str) -> list[int]:
        rows = postgres.execute(f'SELECT id FROM "{pg_schema}"."{table}" ORDER BY id').fetchall()
        return [row[0] for row in rows]

    for resource in greenhouse.app.resources():
        assert table_ids(resource) == [r["id"] for r in greenhouse.app.dump(resource)], resource
    job = greenhouse.app.dump("jobs")[0]
    typed = postgres.execute(
        f'SELECT updated_at, custom_fields FROM "{pg_schema}".jobs WHERE id = %s', (job["id"],)
    ).fetchone()
    # Timestamps land as timestamps (UTC, milliseconds kept), nested objects as jsonb.
    expected_time = datetime.fromisoformat(job["updated_at"].replace("Z", "+00:00"))
    assert typed[0] == expected_time.replace(tzinfo=None)
    assert typed[1] == job["custom_fields"]

    inserted = greenhouse.app.mutate("insert", "candidates", 2)
    updated = greenhouse.app.mutate("update", "candidates", 3)
    greenhouse.clear_log()

    second = meltano.run("tap-greenhouse", "target-postgres")
    assert_run_ok(second)

    assert table_ids("candidates") == [r["id"] for r in greenhouse.app.dump("candidates")]
    names = dict(
        postgres.execute(
            f'SELECT id, last_name FROM "{pg_schema}".candidates WHERE id = ANY(%s)',
            (inserted + updated,),
        ).fetchall()
    )
    truth = {r["id"]: r["last_name"] for r in greenhouse.app.dump("candidates")}
    assert names == {ident: truth[ident] for ident in inserted + updated}
    # Upserts: no duplicate keys after the second run.
    duplicates = postgres.execute(
        f'SELECT count(*) - count(DISTINCT id) FROM "{pg_schema}".candidates'
    ).fetchone()[0]
    assert duplicates == 0
    # The second run asked only for rows changed since the bookmark.
    candidate_pages = [e for e in greenhouse.vendor_requests() if e.path == "/v3/candidates"]
    assert len(candidate_pages) == 1
    assert "updated_at=gte" in candidate_pages[0].query.replace("%7C", "|")
