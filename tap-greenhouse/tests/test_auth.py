"""Token lifecycle: fetch once, renew before expiry, recover once from a 401."""

from __future__ import annotations

from sandbox.core.faults import FaultConfig


def _expected_total(server) -> int:
    return sum(len(server.app.dump(name)) for name in server.app.resources())


def test_one_token_is_fetched_and_reused(greenhouse, tmp_path, run_tap, tap_config):
    run = run_tap(tap_config(greenhouse), tmp_path)

    assert run.returncode == 0, run.stderr
    assert greenhouse.app.token_requests == 1
    token_calls = [e for e in greenhouse.vendor_requests() if e.path == "/token"]
    assert [e.method for e in token_calls] == ["POST"]


def test_token_is_renewed_before_it_expires(greenhouse, tmp_path, run_tap, tap_config):
    # Tokens live 61 s; the tap renews 60 s ahead, so each is used for about 1 s.
    greenhouse.app.token_ttl_seconds = 61
    greenhouse.latency_ms = 40

    run = run_tap(tap_config(greenhouse, page_size=50), tmp_path)

    assert run.returncode == 0, run.stderr
    assert greenhouse.app.token_requests >= 2
    assert "401" not in greenhouse.stats()["by_status"]
    assert sum(len(rows) for rows in run.records.values()) == _expected_total(greenhouse)


def test_expires_at_in_the_token_response_is_understood(greenhouse, tmp_path, run_tap, tap_config):
    greenhouse.app.token_expiry_field = "expires_at"

    run = run_tap(tap_config(greenhouse), tmp_path)

    assert run.returncode == 0, run.stderr
    assert greenhouse.app.token_requests == 1


def test_revoked_token_is_replaced_once_and_the_run_finishes(
    greenhouse, tmp_path, run_tap, tap_config
):
    greenhouse.faults.configure(FaultConfig(revoke_after_requests=6))

    run = run_tap(tap_config(greenhouse, page_size=50), tmp_path)

    assert run.returncode == 0, run.stderr
    assert greenhouse.stats()["by_status"].get("401") == 1
    assert greenhouse.app.token_requests == 2
    for resource in greenhouse.app.resources():
        assert sorted(run.ids(resource)) == [r["id"] for r in greenhouse.app.dump(resource)]


def test_a_second_401_in_a_row_is_a_clear_fatal_error(greenhouse, tmp_path, run_tap, tap_config):
    # Every token is born expired: the renewed token is refused too.
    greenhouse.app.token_ttl_seconds = 0

    run = run_tap(tap_config(greenhouse), tmp_path)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    errors = run.error_lines()
    assert len(errors) == 1
    assert "401 Unauthorized again" in errors[0]
    assert "client_id" in errors[0]
    assert greenhouse.stats()["by_status"]["401"] == 2
