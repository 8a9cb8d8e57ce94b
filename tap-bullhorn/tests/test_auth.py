"""The partner login chain, session expiry, and clear one-line failures."""

from __future__ import annotations

from bullhorn_helpers import make_config, run_cli, run_tap
from sandbox.core.faults import FaultConfig
from tap_bullhorn.errors import BullhornAuthError
from tap_bullhorn.streams import DEFAULT_PARALLEL_REQUESTS


def test_full_login_chain_and_header_only_token(server):
    result = run_tap(make_config(server, entities=["Skill"]))
    assert len(result.ids("skill")) == 15
    requests = server.vendor_requests()
    first = [(r.method, r.path, r.status) for r in requests[:4]]
    assert first == [
        ("GET", "/rest-services/loginInfo", 200),
        ("POST", "/oauth/authorize", 302),
        ("POST", "/oauth/token", 200),
        ("POST", "/rest-services/login", 200),
    ]
    assert server.app.login_count == 1
    assert all("BhRestToken" not in r.query and "password" not in r.query for r in requests)


def test_session_expiry_mid_run_relogs_in_once(server):
    config = make_config(server, entities=["Candidate", "Note"], page_size=10)

    def expire_later() -> None:
        server.faults.configure(FaultConfig(revoke_after_requests=5))

    result = run_tap(config, before_sync=expire_later)
    assert sorted(result.ids("candidate")) == sorted(r["id"] for r in server.app.dump("Candidate"))
    assert sorted(result.ids("note")) == sorted(r["id"] for r in server.app.dump("Note"))
    assert server.app.login_count == 2
    # Requests in flight with the expired session each get one 401; one login serves them all.
    # (A link stream has one parent page in flight beside its link calls.)
    unauthorized = [r.status for r in server.vendor_requests()].count(401)
    assert 1 <= unauthorized <= DEFAULT_PARALLEL_REQUESTS + 1


def test_persistent_401_is_one_clear_fatal_error(server):
    config = make_config(server, entities=["Skill"])

    def break_sessions() -> None:
        server.app.session_ttl_seconds = -1
        server.app.revoke_tokens()

    result = run_tap(config, expect_error=True, before_sync=break_sessions)
    assert isinstance(result.error, BullhornAuthError)
    assert "401 after a new login" in str(result.error)
    assert server.app.login_count == 2


def test_unapproved_client_gets_the_consent_message(server):
    server.app.approved.clear()
    result = run_tap(make_config(server, entities=["Skill"]), expect_error=True)
    assert isinstance(result.error, BullhornAuthError)
    assert "approve this client_id once" in str(result.error)


def _assert_one_clear_line(completed, *needles):
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    text = completed.stderr
    for needle in needles:
        assert needle in text, text


def test_cli_wrong_password(server, tmp_path):
    config = make_config(server, password="not-the-password")
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "refused the username or password")
    assert "not-the-password" not in completed.stderr


def test_cli_wrong_client_secret(server, tmp_path):
    config = make_config(server, client_secret="nope-secret")
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "token exchange failed", "client_secret")
    assert "nope-secret" not in completed.stderr


def test_cli_missing_client_id(server, tmp_path):
    config = make_config(server)
    del config["client_id"]
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "'client_id' is a required property")


def test_cli_malformed_start_date(server, tmp_path):
    config = make_config(server, start_date="last tuesday")
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "start_date 'last tuesday' is not an RFC 3339 date-time")


def test_cli_unknown_entity(server, tmp_path):
    config = make_config(server, entities=["Candidates"])
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "unknown Bullhorn entities ['Candidates']")


def test_cli_unreachable_host(tmp_path):
    config = {
        "client_id": "x",
        "client_secret": "y",
        "username": "u",
        "password": "p",
        "login_info_url": "http://127.0.0.1:9/rest-services/loginInfo",
    }
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "Cannot reach Bullhorn loginInfo at 127.0.0.1:9")


def test_cli_about_needs_no_config(tmp_path):
    completed = run_cli("--about", "--format=json", config=None, tmp_path=tmp_path)
    assert completed.returncode == 0
    assert '"name": "tap-bullhorn"' in completed.stdout


def test_no_secret_in_logs_output_or_urls(server, tmp_path):
    server.faults.configure(FaultConfig(revoke_after_requests=40))
    config = make_config(server, entities=["Candidate", "Lead"], page_size=20)
    completed = run_cli(config=config, tmp_path=tmp_path, env={"TAP_BULLHORN_LOGLEVEL": "DEBUG"})
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert server.app.login_count == 2
    secrets = server.app.secrets()
    assert len(secrets) == 2 + 2 * 4  # client secret, password; code+tokens+session per login
    logged_urls = " ".join(r.url for r in server.vendor_requests())
    for secret in secrets:
        assert secret not in completed.stdout
        assert secret not in completed.stderr
        assert secret not in logged_urls


def test_data_centre_redirect_is_followed_to_a_trusted_host(server):
    server.app.redirect_base = server.base_url
    result = run_tap(make_config(server, entities=["Country"]))
    assert len(result.ids("country")) == 12
    chain = [(r.path, r.status) for r in server.vendor_requests()[:6]]
    assert chain[1:5] == [
        ("/oauth/authorize", 307),
        ("/dc2/oauth/authorize", 302),
        ("/oauth/token", 307),
        ("/dc2/oauth/token", 200),
    ]


def test_data_centre_redirect_to_an_untrusted_host_is_refused(server):
    server.app.redirect_base = "http://bullhorn.evil.invalid"
    result = run_tap(make_config(server, entities=["Country"]), expect_error=True)
    assert isinstance(result.error, BullhornAuthError)
    assert "untrusted host bullhorn.evil.invalid" in str(result.error)


def test_cli_giving_up_after_retries_is_one_line(server, tmp_path):
    server.faults.configure(FaultConfig(burst_429=50, burst_429_retry_after=0))
    config = make_config(server, entities=["Skill"], max_retries=2)
    completed = run_cli(config=config, tmp_path=tmp_path)
    _assert_one_clear_line(completed, "after 2 attempts: HTTP 429")
