"""Full, incremental and interrupted syncs against the sandbox, over HTTP."""

from __future__ import annotations

import signal
import subprocess
from datetime import datetime, timedelta
from typing import Any

from invenias_helpers import parse_output, run_tap, tap_command, tap_config
from sandbox.invenias.data import ENTITIES, MODIFIED, round_trip
from tap_invenias.streams import PAGES_PER_WINDOW

STREAM_OF_PATH = {"lookuplists": "lookup_lists", "lookuplistentries": "lookup_list_entries"}


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _list_calls(server: Any, entity: str) -> list[dict[str, Any]]:
    return [call.body for call in server.app.list_calls if call.entity == entity]


def test_full_sync_returns_every_row_of_every_stream(invenias, tmp_path):
    run = run_tap(tap_config(invenias), tmp_path)

    assert run.returncode == 0, run.stderr
    for path in ENTITIES:
        stream = STREAM_OF_PATH.get(path, path)
        expected = sorted(invenias.app.data.tables[path])
        assert sorted(run.ids(stream)) == expected, stream
    settings = invenias.app.data.settings
    assert len(run.records["settings"]) == sum(len(entries) for entries in settings.values())
    assert {row["SettingName"] for row in run.records["settings"]} == set(settings)
    assert len(run.records["countries"]) == len(invenias.app.data.countries)
    rules = invenias.app.data.rules
    assert len(run.records["data_management_rules"]) == sum(len(r) for r in rules.values())
    # Rows arrive as the API sends them: nested references, numbers, round-trip dates.
    by_id = {row["ItemId"]: row for row in invenias.app.dump("assignments")}
    for record in run.records["assignments"]:
        source = by_id[record["ItemId"]]
        for column, value in record.items():
            assert value == source.get(column), (column, record["ItemId"])
    # One token for the whole run, and no call failed.
    assert invenias.app.token_requests == 1
    assert set(invenias.stats()["by_status"]) == {"200"}


def test_list_calls_filter_and_sort_as_documented(invenias, tmp_path):
    run = run_tap(tap_config(invenias, page_size=40, lookback_minutes=0), tmp_path)
    assert run.returncode == 0, run.stderr

    calls = [
        body for body in _list_calls(invenias, "people") if "IncludeAvailableColumns" not in body
    ]
    assert len(calls) >= 150 // 40
    first = calls[0]
    assert first["PageSize"] == 40
    assert first["PageIndex"] == 0
    assert first["Sort"] == [
        {"Selector": "DateModified", "Desc": False},
        {"Selector": "ItemId", "Desc": False},
    ]
    assert first["Filter"][0] == ["DateModified", ">=", "2015-01-01T00:00:00.0000000+00:00"]
    assert first["Filter"][1] == "and"
    assert first["Filter"][2][:2] == ["DateModified", "<="]
    assert "DateModified" in first["Select"]
    assert "Custom_ExecutiveLevel" in first["Select"]  # discovered tenant column
    assert "ItemId" not in first["Select"]  # identity columns come with every item
    assert first["ReturnTotalCount"] is True
    # Pages of one window go out side by side, but never deeper than PageIndex 15: the
    # next window narrows to the last date seen.
    lowers = [body["Filter"][0][2] for body in calls]
    assert lowers == sorted(lowers, key=_parse)
    assert 0 < max(body["PageIndex"] for body in calls) < PAGES_PER_WINDOW


def test_one_request_at_a_time_narrows_after_every_page(invenias, tmp_path):
    run = run_tap(
        tap_config(invenias, page_size=40, lookback_minutes=0, parallel_requests=1), tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert sorted(run.ids("people")) == sorted(invenias.app.data.tables["people"])
    calls = [b for b in _list_calls(invenias, "people") if "Filter" in b]
    assert len(calls) >= 150 // 40
    lowers = [body["Filter"][0][2] for body in calls]
    assert lowers == sorted(lowers, key=_parse)
    assert all(body["PageIndex"] == 0 for body in calls)


def test_rows_leaving_a_window_read_in_parallel_are_not_lost(invenias, tmp_path):
    people = invenias.app.data.tables["people"]
    before = {ident: dict(row) for ident, row in people.items()}
    changed: list[Any] = []

    def change_during_people_window(_: int) -> None:
        reads = [b for b in _list_calls(invenias, "people") if "Filter" in b]
        if len(reads) == 2 and not changed:
            changed.extend(invenias.app.mutate("update", "people", 3))
            changed.extend(invenias.app.mutate("delete", "people", 1))

    invenias.on_vendor_request = change_during_people_window
    run = run_tap(tap_config(invenias, page_size=10, lookback_minutes=0), tmp_path)
    invenias.on_vendor_request = None

    assert run.returncode == 0, run.stderr
    assert changed
    ids = run.ids("people")
    assert len(ids) == len(set(ids))
    # Every row that stayed put was read in this run; edited rows are the next run's.
    untouched = set(before) - set(changed)
    assert untouched <= set(ids)
    assert "rows left the window" in run.stderr
    # After the count changed, the tap re-read from the last row emitted at PageIndex 0.
    calls = [b for b in _list_calls(invenias, "people") if "Filter" in b]
    assert sum(1 for body in calls if body["PageIndex"] == 0) >= 2
    # Discovery asked each list once for its columns.
    assert [b for b in _list_calls(invenias, "people") if b.get("IncludeAvailableColumns")]


def test_rows_sharing_one_date_across_pages_are_emitted_once(invenias, tmp_path):
    people = invenias.app.data.tables["people"]
    same = round_trip(datetime.fromisoformat("2024-05-01T12:00:00+00:00"))
    for ident in sorted(people)[:25]:
        people[ident][MODIFIED] = same
    invenias.app.mutate("insert", "people", 0)  # invalidates the sandbox's sort cache

    run = run_tap(tap_config(invenias, page_size=7), tmp_path)

    assert run.returncode == 0, run.stderr
    ids = run.ids("people")
    assert len(ids) == len(set(ids)) == len(people)
    calls = [b for b in _list_calls(invenias, "people") if "Filter" in b]
    # The 25 rows at one instant span several pages: PageIndex steps within that date.
    assert max(body["PageIndex"] for body in calls) >= 2


def test_incremental_run_reads_only_changed_rows(invenias, tmp_path):
    config = tap_config(invenias, lookback_minutes=0)
    first = run_tap(config, tmp_path)
    assert first.returncode == 0, first.stderr
    bookmarks = first.final_state["bookmarks"]
    assert bookmarks["people"]["replication_key"] == "DateModified"
    assert "replication_key_value" not in bookmarks["lookup_lists"]

    inserted = invenias.app.mutate("insert", "people", 3)
    updated = invenias.app.mutate("update", "people", 4)
    journal = invenias.app.mutate("update", "journal", 2)

    second = run_tap(config, tmp_path, state=first.final_state)
    assert second.returncode == 0, second.stderr

    for stream, changed in [("people", inserted + updated), ("journal", journal)]:
        bookmark = bookmarks[stream]["replication_key_value"]
        emitted = set(second.ids(stream))
        assert set(changed) <= emitted
        # Anything else re-read is the row(s) at the bookmark itself (the >= boundary).
        at_bookmark = {
            row["ItemId"]
            for row in invenias.app.dump(stream)
            if _parse(row["DateModified"]) == _parse(bookmark)
        }
        assert emitted - set(changed) <= at_bookmark
        edited = {row["ItemId"]: row for row in second.records[stream]}
        for ident in updated if stream == "people" else journal:
            assert edited[ident]["DateModified"] > bookmark
    assert "companies" not in second.records or len(second.records["companies"]) <= 1


def test_lookback_window_reopens_the_bookmark(invenias, tmp_path):
    config = tap_config(invenias, lookback_minutes=60 * 24 * 365 * 20)
    first = run_tap(config, tmp_path)
    second = run_tap(config, tmp_path, state=first.final_state)
    assert second.returncode == 0, second.stderr
    # A 20-year lookback re-reads everything; the target's upsert absorbs it.
    assert sorted(second.ids("people")) == sorted(invenias.app.data.tables["people"])


def test_rows_changed_while_paging_are_not_lost(invenias, tmp_path):
    config = tap_config(invenias, page_size=10, lookback_minutes=0)
    changed: list[Any] = []

    def change_mid_run(count: int) -> None:
        if count == 25 and not changed:
            changed.extend(invenias.app.mutate("update", "people", 5))
            changed.extend(invenias.app.mutate("insert", "people", 2))
            changed.extend(invenias.app.mutate("delete", "people", 1))

    invenias.on_vendor_request = change_mid_run
    first = run_tap(config, tmp_path)
    invenias.on_vendor_request = None
    assert first.returncode == 0, first.stderr
    assert changed
    first_ids = first.ids("people")
    assert len(first_ids) == len(set(first_ids))

    second = run_tap(config, tmp_path, state=first.final_state)
    assert second.returncode == 0, second.stderr
    deleted = changed[-1]
    live = set(invenias.app.data.tables["people"])
    assert (live | {deleted}) >= set(first_ids) | set(second.ids("people")) >= live
    # The latest version of every edited row reached the output (in whichever run read it
    # last: run 1 when the edit landed before the stream started, else run 2).
    latest = {
        row["ItemId"]: row["DateModified"]
        for row in [*first.records["people"], *second.records.get("people", [])]
    }
    for ident in changed[:5]:
        assert latest[ident] == invenias.app.data.tables["people"][ident]["DateModified"]


def test_interrupted_run_resumes_from_its_last_state(invenias, tmp_path):
    config = tap_config(invenias, page_size=5)
    process: dict[str, subprocess.Popen[str]] = {}

    def kill_mid_stream(count: int) -> None:
        if count == 60 and "tap" in process:
            process["tap"].send_signal(signal.SIGKILL)

    invenias.on_vendor_request = kill_mid_stream
    process["tap"] = subprocess.Popen(
        tap_command(config, tmp_path, None, []),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = process["tap"].communicate(timeout=300)
    invenias.on_vendor_request = None
    killed = parse_output(
        subprocess.CompletedProcess([], process["tap"].returncode, stdout, stderr)
    )
    assert killed.returncode == -signal.SIGKILL
    assert killed.states, "the tap emitted no STATE before it was killed"

    resumed = run_tap(config, tmp_path, state=killed.final_state)
    assert resumed.returncode == 0, resumed.stderr
    for path in ("people", "companies", "journal"):
        stream = STREAM_OF_PATH.get(path, path)
        got = set(killed.ids(stream)) | set(resumed.ids(stream))
        assert got == set(invenias.app.data.tables[path]), stream
    # The resumed run did not start over: it re-read less than a full sync.
    total = sum(len(invenias.app.data.tables[p]) for p in ("people", "companies", "journal"))
    assert sum(len(resumed.ids(s)) for s in ("people", "companies", "journal")) < total


def test_third_run_without_changes_emits_at_most_the_boundary(invenias, tmp_path):
    config = tap_config(invenias, lookback_minutes=0)
    first = run_tap(config, tmp_path)
    second = run_tap(config, tmp_path, state=first.final_state)
    third = run_tap(config, tmp_path, state=second.final_state)
    assert third.returncode == 0, third.stderr
    for stream in ("people", "companies", "assignments", "journal", "documents"):
        assert len(third.records.get(stream, [])) <= 1, stream
    start = _parse(first.final_state["bookmarks"]["people"]["replication_key_value"])
    assert start - timedelta(days=1) < _parse(
        third.final_state["bookmarks"]["people"]["replication_key_value"]
    )


def test_settings_sent_ahead_skip_an_unknown_enumeration_only(invenias, tmp_path):
    settings = invenias.app.data.settings
    names = sorted(settings)[:5]
    config = tap_config(invenias, setting_names=[names[0], "NoSuchEnumeration", *names[1:]])
    run = run_tap(config, tmp_path)

    assert run.returncode == 0, run.stderr
    assert "NoSuchEnumeration" in run.stderr  # one warning naming the skipped key
    assert {row["SettingName"] for row in run.records["settings"]} == set(names)
    assert len(run.records["settings"]) == sum(len(settings[name]) for name in names)
    setting_calls = [e for e in invenias.vendor_requests() if "/settings/" in e.path]
    assert len(setting_calls) == len(names) + 1
