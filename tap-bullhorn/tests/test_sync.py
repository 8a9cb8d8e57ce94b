"""Full and incremental syncs against the sandbox over HTTP."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from bullhorn_helpers import iso_to_ms, make_config, run_cli, run_tap
from sandbox.bullhorn.data import ENTITIES
from tap_bullhorn.entities import ASSOCIATIONS, ENTITY_NAMES, snake
from tap_bullhorn.entities import ENTITIES as TAP_ENTITIES
from tap_bullhorn.streams import EntityStream
from tap_bullhorn.tap import TapBullhorn


def test_full_sync_counts_match_the_sandbox(server):
    result = run_tap(make_config(server))
    assert set(ENTITY_NAMES) <= set(ENTITIES)
    for entity in ENTITY_NAMES:
        expected = sorted(row["id"] for row in server.app.dump(entity))
        assert sorted(result.ids(snake(entity))) == expected, entity
    # Link streams are complete even where the inline to-many value is truncated at 5.
    for association in ASSOCIATIONS:
        rows = server.app.data.rows(association.entity).values()
        expected_links = sorted(
            (row["id"], target) for row in rows for target in row[association.field]
        )
        assert any(len(row[association.field]) > 5 for row in rows)
        emitted = sorted(
            (link[association.parent_key], link[association.child_key])
            for link in result.records[association.stream_name]
        )
        assert emitted == expected_links, association.stream_name
        # Links come in their parents' (cursor, id) order although truncated parents are
        # completed several at a time: the link stream's bookmark relies on it.
        cursor = next(e.cursor for e in TAP_ENTITIES if e.name == association.entity)
        order = [
            (iso_to_ms(link[cursor]), link[association.parent_key])
            for link in result.records[association.stream_name]
        ]
        assert order == sorted(order), association.stream_name
    # Soft-deleted rows are emitted, timestamps are RFC 3339.
    candidates = result.records["candidate"]
    assert any(row["isDeleted"] for row in candidates)
    assert all(row["dateLastModified"].endswith("+00:00") for row in candidates)


def test_custom_fields_carry_their_admin_labels(server):
    tap = TapBullhorn(config=make_config(server))
    schema = tap.streams["candidate"].schema["properties"]
    assert schema["customText1"]["description"] == "Preferred Contact Method"
    assert schema["customDate1"]["format"] == "date-time"
    assert schema["customFloat1"]["type"] == ["number", "null"]
    assert schema["owner"]["properties"]["id"]["type"] == ["integer", "null"]
    assert schema["address"]["properties"]["city"]["type"] == ["string", "null"]


def test_entities_and_exclude_fields_settings(server):
    config = make_config(
        server,
        entities=["Candidate", "Skill"],
        exclude_fields=["Candidate.customTextBlock1", "phone"],
    )
    tap = TapBullhorn(config=config)
    assert set(tap.streams) == {"candidate", "candidate_primary_skills", "skill"}
    props = tap.streams["candidate"].schema["properties"]
    assert "customTextBlock1" not in props
    assert "phone" not in props
    result = run_tap(config)
    assert "customTextBlock1" not in result.records["candidate"][0]


@pytest.mark.parametrize("lookback_minutes", [5, 60 * 24 * 120])
def test_second_sync_emits_exactly_the_changes(server, lookback_minutes):
    config = make_config(
        server, entities=["Candidate", "Placement", "Sendout"], lookback_minutes=lookback_minutes
    )
    first = run_tap(config)
    bookmarks = first.final_state["bookmarks"]
    changed = {
        "Candidate": set(server.app.mutate("insert", "Candidate", 3))
        | set(server.app.mutate("update", "Candidate", 2))
        | set(server.app.mutate("soft_delete", "Candidate", 2)),
        "Placement": set(server.app.mutate("insert", "Placement", 2))
        | set(server.app.mutate("update", "Placement", 1)),
        "Sendout": set(server.app.mutate("insert", "Sendout", 2)),
    }
    deleted = set(server.app.mutate("delete", "Placement", 1))
    second = run_tap(config, state=first.final_state)
    lookback_ms = lookback_minutes * 60_000
    for entity, cursor in (
        ("Candidate", "dateLastModified"),
        ("Placement", "dateLastModified"),
        ("Sendout", "dateAdded"),
    ):
        stream = snake(entity)
        bookmark = iso_to_ms(bookmarks[stream]["replication_key_value"])
        # Exactly the rows at or after (bookmark - lookback) in the sandbox now.
        expected = {
            row["id"] for row in server.app.dump(entity) if row[cursor] >= bookmark - lookback_ms
        }
        emitted = set(second.ids(stream))
        assert changed[entity] - deleted <= emitted, entity
        assert emitted == expected, entity
        assert len(second.ids(stream)) == len(emitted)
    assert not deleted & set(second.ids("placement"))
    if lookback_minutes > 60:
        # The overlap re-reads rows older than the bookmark (the SDK would call that unsorted).
        assert len(set(second.ids("candidate")) - changed["Candidate"]) > 1
    soft = [row for row in second.records["candidate"] if row["isDeleted"]]
    assert len(soft) >= 2


def test_interrupted_sync_resumes_from_last_state(server, monkeypatch):
    monkeypatch.setattr(EntityStream, "STATE_MSG_FREQUENCY", 25)
    config = make_config(server, entities=["Candidate"], page_size=10)
    full = run_tap(config)
    all_ids = set(full.ids("candidate"))
    # Simulate a crash right after the third STATE message: the target committed that state.
    cut, seen_states = 0, 0
    for index, message in enumerate(full.messages):
        if message["type"] == "STATE":
            seen_states += 1
            if seen_states == 3:
                cut = index
                break
    assert cut
    before = {
        m["record"]["id"]
        for m in full.messages[:cut]
        if m["type"] == "RECORD" and m["stream"] == "candidate"
    }
    state = full.messages[cut]["value"]
    resumed = run_tap({**config, "lookback_minutes": 0}, state=state)
    after = set(resumed.ids("candidate"))
    assert before | after == all_ids
    assert len(after) < len(all_ids)


def test_keyset_paging_adapts_to_a_smaller_server_page(server):
    server.app.max_count = 7
    config = make_config(server, entities=["Candidate"], page_size=25)
    result = run_tap(config)
    assert sorted(result.ids("candidate")) == sorted(r["id"] for r in server.app.dump("Candidate"))
    queries = [r for r in server.vendor_requests() if r.path.endswith("/query/Candidate")]
    assert len(queries) >= 120 // 7
    assert all("start=" not in r.query for r in queries)


def test_long_where_clauses_use_post(server, monkeypatch):
    monkeypatch.setattr(EntityStream, "post_query_threshold", 5)
    result = run_tap(make_config(server, entities=["Lead"]))
    assert sorted(result.ids("lead")) == sorted(r["id"] for r in server.app.dump("Lead"))
    posts = [r for r in server.vendor_requests() if r.path.endswith("/query/Lead")]
    assert posts
    assert all(r.method == "POST" and "where=" not in r.query for r in posts)


def _where_clauses(server, entity: str) -> list[str]:
    queries = [r for r in server.vendor_requests() if r.path.endswith(f"/query/{entity}")]
    return [parse_qs(r.query).get("where", [""])[0] for r in queries]


def test_time_ranges_are_read_side_by_side_and_emitted_in_order(server):
    result = run_tap(make_config(server, entities=["Candidate"], page_size=10))

    rows = result.records["candidate"]
    assert sorted(result.ids("candidate")) == sorted(r["id"] for r in server.app.dump("Candidate"))
    keys = [(iso_to_ms(row["dateLastModified"]), row["id"]) for row in rows]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    # After the first full page, bounded ranges (`dateLastModified<...`) were requested.
    wheres = _where_clauses(server, "Candidate")
    assert any("dateLastModified<" in where for where in wheres)
    # The bookmark is the last row emitted, as in a one-page-at-a-time run.
    bookmark = result.final_state["bookmarks"]["candidate"]["replication_key_value"]
    assert iso_to_ms(bookmark) == keys[-1][0]


def test_one_request_at_a_time_pages_by_keyset_only(server):
    result = run_tap(make_config(server, entities=["Candidate"], page_size=10, parallel_requests=1))
    assert sorted(result.ids("candidate")) == sorted(r["id"] for r in server.app.dump("Candidate"))
    assert not any("dateLastModified<" in where for where in _where_clauses(server, "Candidate"))


def test_rows_changed_while_ranges_are_read_are_not_lost(server):
    before = {row["id"] for row in server.app.dump("Candidate")}
    changed: list[int] = []

    def change_mid_read(_: int) -> None:
        if len(_where_clauses(server, "Candidate")) == 3 and not changed:
            changed.extend(server.app.mutate("update", "Candidate", 4))
            changed.extend(server.app.mutate("insert", "Candidate", 2))

    server.on_vendor_request = change_mid_read
    config = make_config(server, entities=["Candidate"], page_size=10, lookback_minutes=0)
    first = run_tap(config)
    server.on_vendor_request = None

    assert changed
    ids = first.ids("candidate")
    # Rows that stayed put were read exactly once; an edited row may be read again at its
    # new position (the later version wins in the target).
    untouched = before - set(changed)
    assert untouched <= set(ids)
    assert len([i for i in ids if i in untouched]) == len(untouched)
    latest = {row["id"]: row["dateLastModified"] for row in first.records["candidate"]}
    second = run_tap(config, state=first.final_state)
    latest.update({row["id"]: row["dateLastModified"] for row in second.records["candidate"]})
    current = {row["id"]: row["dateLastModified"] for row in server.app.dump("Candidate")}
    assert set(latest) == set(current)
    for ident in changed:
        assert iso_to_ms(latest[ident]) == current[ident]


def test_parallel_requests_out_of_range_is_one_clear_error(server, tmp_path):
    completed = run_cli(config=make_config(server, parallel_requests=0), tmp_path=tmp_path)
    assert completed.returncode != 0
    assert "parallel_requests" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_deselected_fields_are_neither_asked_for_nor_emitted(server, tmp_path):
    config = make_config(server, entities=["Candidate"])
    discovered = run_cli("--discover", config=config, tmp_path=tmp_path)
    assert discovered.returncode == 0, discovered.stderr
    catalog = json.loads(discovered.stdout)
    deselected = {"phone", "address"}  # a plain field and a nested object
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            breadcrumb = metadata["breadcrumb"]
            if breadcrumb == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] == "candidate"
            elif entry["tap_stream_id"] == "candidate" and breadcrumb[-1] in deselected:
                metadata["metadata"]["selected"] = False
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    server.clear_log()

    completed = run_cli("--catalog", str(catalog_file), config=config, tmp_path=tmp_path)

    assert completed.returncode == 0, completed.stderr
    records = [
        message["record"]
        for message in map(json.loads, completed.stdout.splitlines())
        if message["type"] == "RECORD"
    ]
    assert sorted(row["id"] for row in records) == sorted(
        row["id"] for row in server.app.dump("Candidate")
    )
    assert all(not deselected & set(row) for row in records)
    assert all({"id", "firstName", "dateLastModified"} <= set(row) for row in records)
    queries = [r for r in server.vendor_requests() if r.path.endswith("/query/Candidate")]
    assert queries
    for request in queries:
        fields = set(parse_qs(request.query)["fields"][0].split(","))
        assert not deselected & fields
        assert {"id", "dateLastModified", "firstName"} <= fields
