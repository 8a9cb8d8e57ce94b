"""The optional deleted_records stream fed by an entity event subscription."""

from __future__ import annotations

from bullhorn_helpers import make_config, run_tap


def test_deleted_records_from_the_event_subscription(server):
    config = make_config(server, entities=["Placement", "Sendout"], event_subscription_id="tapbh")
    first = run_tap(config)
    assert "tapbh" in server.app.subscriptions
    assert "deleted_records" not in first.records
    assert server.app.subscriptions["tapbh"].event_types == {"DELETED"}
    assert server.app.subscriptions["tapbh"].names == {"Placement", "Sendout"}

    placements_gone = set(server.app.mutate("delete", "Placement", 2))
    gone = placements_gone | set(server.app.mutate("delete", "Sendout", 1))
    server.app.mutate("insert", "Placement", 1)
    second = run_tap(config, state=first.final_state)
    deleted = second.records["deleted_records"]
    assert {row["entity_id"] for row in deleted} == gone
    assert {row["entity_name"] for row in deleted} == {"Placement", "Sendout"}
    assert all(row["event_type"] == "DELETED" for row in deleted)
    assert all(row["event_timestamp"].endswith("+00:00") for row in deleted)
    assert placements_gone.isdisjoint(row["id"] for row in server.app.dump("Placement"))

    # A run whose STATE never reached the target: the next run re-gets that batch.
    lost = set(server.app.mutate("delete", "Placement", 1))
    crashed = run_tap(config, state=second.final_state)
    assert {row["entity_id"] for row in crashed.records["deleted_records"]} == lost
    retry = run_tap(config, state=second.final_state)
    assert {row["entity_id"] for row in retry.records["deleted_records"]} == lost
    after = run_tap(config, state=retry.final_state)
    assert "deleted_records" not in after.records


def test_deleted_records_is_off_by_default(server):
    config = make_config(server, entities=["Placement"])
    result = run_tap(config)
    assert "deleted_records" not in result.records
    assert not server.app.subscriptions
