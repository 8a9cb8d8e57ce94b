"""Full and incremental syncs against the sandbox, over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from tap_greenhouse.streams import STREAM_TYPES

# Candidate fields a user leaves out: a plain one and a free-form object (custom fields).
DESELECTED = {"company", "custom_fields"}


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_full_sync_returns_every_row_of_every_stream(greenhouse, tmp_path, run_tap, tap_config):
    run = run_tap(tap_config(greenhouse), tmp_path)

    assert run.returncode == 0, run.stderr
    assert {stream.name for stream in STREAM_TYPES} == set(greenhouse.app.resources())
    for resource in greenhouse.app.resources():
        expected = greenhouse.app.dump(resource)
        assert sorted(run.ids(resource)) == [row["id"] for row in expected], resource
    # Service accounts and Greenhouse's default rejection reasons need explicit flags.
    assert len(run.records["users"]) == len(greenhouse.app.data.tables["users"])
    assert len(run.records["rejection_reasons"]) == 12
    # Records arrive exactly as the API sends them (nested objects, custom fields, dates).
    by_id = {row["id"]: row for row in greenhouse.app.dump("candidates")}
    for record in run.records["candidates"][:20]:
        assert record == by_id[record["id"]]
    # One token for the whole run, and no request failed.
    assert greenhouse.app.token_requests == 1
    assert set(greenhouse.stats()["by_status"]) == {"200"}


def test_paging_follows_cursor_links_across_many_pages(greenhouse, tmp_path, run_tap, tap_config):
    run = run_tap(tap_config(greenhouse, page_size=7), tmp_path)

    assert run.returncode == 0, run.stderr
    requests = [e for e in greenhouse.vendor_requests() if e.path == "/v3/candidates"]
    assert len(requests) == -(-300 // 7)
    first, *following = requests
    assert parse_qs(first.query)["per_page"] == ["7"]
    # Every later page carries the cursor and nothing else (the sandbox would 422).
    assert all(list(parse_qs(e.query)) == ["cursor"] for e in following)
    assert sorted(run.ids("candidates")) == sorted(greenhouse.app.data.tables["candidates"])
    assert len(set(run.ids("candidates"))) == 300


def test_incremental_run_reads_only_changed_rows_plus_lookback(
    greenhouse, tmp_path, run_tap, tap_config
):
    config = tap_config(greenhouse, lookback_minutes=10)
    first = run_tap(config, tmp_path)
    assert first.returncode == 0, first.stderr
    bookmarks = first.final_state["bookmarks"]
    assert "replication_key_value" in bookmarks["candidates"]
    # Full-table streams keep no bookmark.
    assert "replication_key_value" not in bookmarks["departments"]

    inserted = greenhouse.app.mutate("insert", "candidates", 3)
    updated = greenhouse.app.mutate("update", "candidates", 4)
    updated_apps = greenhouse.app.mutate("update", "applications", 2)
    deactivated = greenhouse.app.mutate("soft_delete", "users", 1)

    second = run_tap(config, tmp_path, state=first.final_state)
    assert second.returncode == 0, second.stderr

    for stream, changed in [
        ("candidates", inserted + updated),
        ("applications", updated_apps),
        ("users", deactivated),
    ]:
        bookmark = _parse(bookmarks[stream]["replication_key_value"])
        overlap_start = bookmark - timedelta(minutes=10)
        expected = {
            row["id"]
            for row in greenhouse.app.dump(stream)
            if _parse(row["updated_at"]) >= overlap_start
        }
        assert set(changed) <= expected
        assert sorted(second.ids(stream)) == sorted(expected), stream
        # The filter really narrowed the read: far fewer rows than a full sync.
        assert len(second.ids(stream)) < len(first.ids(stream)) / 2
    # The soft-deleted (deactivated) user arrives as a row with the flag set.
    assert [row["deactivated"] for row in second.records["users"] if row["id"] in deactivated] == [
        True
    ]
    # Bookmarks moved forward to the newest change.
    new_bookmark = _parse(second.final_state["bookmarks"]["candidates"]["replication_key_value"])
    assert new_bookmark > _parse(bookmarks["candidates"]["replication_key_value"])


def test_third_run_without_changes_emits_at_most_the_overlap(
    greenhouse, tmp_path, run_tap, tap_config
):
    config = tap_config(greenhouse, lookback_minutes=0)
    first = run_tap(config, tmp_path)
    greenhouse.app.mutate("update", "candidates", 2)
    second = run_tap(config, tmp_path, state=first.final_state)
    third = run_tap(config, tmp_path, state=second.final_state)

    assert third.returncode == 0, third.stderr
    # With no lookback, only rows stamped exactly at the bookmark come back.
    bookmark = second.final_state["bookmarks"]["candidates"]["replication_key_value"]
    at_bookmark = [
        row["id"] for row in greenhouse.app.dump("candidates") if row["updated_at"] == bookmark
    ]
    assert sorted(third.ids("candidates")) == sorted(at_bookmark)


def test_incremental_request_carries_the_pipe_form_window(
    greenhouse, tmp_path, run_tap, tap_config
):
    run = run_tap(tap_config(greenhouse, start_date="2024-06-01T00:00:00Z"), tmp_path)

    assert run.returncode == 0, run.stderr
    first_page = next(e for e in greenhouse.vendor_requests() if e.path == "/v3/candidates")
    window = parse_qs(first_page.query)["updated_at"][0]
    operator, begin, upper, end = window.split("|")
    assert (operator, upper) == ("gte", "lte")
    assert begin == "2024-05-31T23:50:00.000Z"  # start_date minus the default lookback
    assert _parse(end) > _parse(begin)
    expected = [
        row["id"]
        for row in greenhouse.app.dump("candidates")
        if _parse(row["updated_at"]) >= _parse(begin)
    ]
    assert sorted(run.ids("candidates")) == sorted(expected)
    assert 0 < len(expected) < 300
    # Full-table resources are read without a date filter.
    departments = next(e for e in greenhouse.vendor_requests() if e.path == "/v3/departments")
    assert "updated_at" not in parse_qs(departments.query)


def test_deselected_fields_are_left_out_of_every_record(greenhouse, tmp_path, run_tap, tap_config):
    config = tap_config(greenhouse)
    config_file = tmp_path / "discover-config.json"
    config_file.write_text(json.dumps(config))
    discovered = subprocess.run(
        [
            str(Path(sys.executable).with_name("tap-greenhouse")),
            "--config",
            str(config_file),
            "--discover",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    catalog = json.loads(discovered.stdout)
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            breadcrumb = metadata["breadcrumb"]
            if breadcrumb == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "candidates"
            elif entry["tap_stream_id"] == "candidates" and breadcrumb[-1] in DESELECTED:
                metadata["metadata"]["selected"] = False
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))

    run = run_tap(config, tmp_path, extra_args=["--catalog", str(catalog_file)])

    assert run.returncode == 0, run.stderr
    assert set(run.records) == {"candidates"}
    by_id = {row["id"]: row for row in greenhouse.app.dump("candidates")}
    assert sorted(by_id) == sorted(run.ids("candidates"))
    for record in run.records["candidates"]:
        expected = {k: v for k, v in by_id[record["id"]].items() if k not in DESELECTED}
        assert record == expected
