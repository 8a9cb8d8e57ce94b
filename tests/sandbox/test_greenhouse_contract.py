"""Pins the Greenhouse stand-in to the documented Harvest v3 behaviour it reproduces.

Each test names the documented fact (shared/reference/greenhouse-harvest-v3.md section)
it checks, so a drift between the sandbox and the docs shows up here first.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from sandbox.core.ratelimit import FixedWindowLimiter
from sandbox.core.registry import start_server

# Section 7: the documented candidate example's top-level fields.
DOCUMENTED_CANDIDATE_FIELDS = {
    "id", "first_name", "last_name", "preferred_name", "company", "private", "can_email",
    "created_at", "updated_at", "last_activity_at", "email_addresses", "phone_numbers",
    "addresses", "social_media_addresses", "tags", "linked_user_ids", "custom_fields",
}  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Any:
    running = start_server("greenhouse", records=60, seed=5)
    yield running
    running.stop()


def _call(
    url: str, headers: dict[str, str] | None = None, data: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def _token_request(server: Any, client: str, secret: str) -> tuple[int, dict[str, str], Any]:
    basic = base64.b64encode(f"{client}:{secret}".encode()).decode()
    return _call(
        f"{server.base_url}/token",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        data=b"grant_type=client_credentials",
    )


def _token(server: Any, client: str = "sandbox-client", secret: str = "sandbox-secret") -> str:
    status, _, body = _token_request(server, client, secret)
    assert status == 200
    return str(body["access_token"])


def test_token_response_and_bad_secret(server):
    # Section 1: client credentials with HTTP Basic; Bearer token with an expiry.
    status, _, body = _token_request(server, "sandbox-client", "wrong")
    assert (status, body) == (401, {"error": "invalid_client"})
    token = _token(server)
    assert len(token) > 20


def test_list_is_a_bare_array_with_link_next_and_documented_fields(server):
    # Sections 2 and 7: bare JSON array, `Link: <...cursor=...>; rel="next"`.
    auth = {"Authorization": f"Bearer {_token(server)}"}
    status, headers, body = _call(f"{server.base_url}/v3/candidates?per_page=10", auth)
    assert status == 200
    assert isinstance(body, list)
    assert len(body) == 10
    assert set(body[0]) >= DOCUMENTED_CANDIDATE_FIELDS
    assert headers["Link"].startswith(f"<{server.base_url}/v3/candidates?cursor=")
    assert headers["Link"].endswith('>; rel="next"')
    # Section 3 [3P]: ordered by id descending.
    ids = [row["id"] for row in body]
    assert ids == sorted(ids, reverse=True)
    # Section 6: date-times in UTC with milliseconds.
    assert body[0]["updated_at"].endswith("Z")
    assert len(body[0]["updated_at"]) == len("2024-12-15T03:55:00.000Z")


def test_cursor_with_other_parameters_is_rejected(server):
    # Section 2: a request carrying `cursor` must carry no other query parameter.
    auth = {"Authorization": f"Bearer {_token(server)}"}
    _, headers, _ = _call(f"{server.base_url}/v3/candidates?per_page=10", auth)
    next_url = headers["Link"][1 : headers["Link"].index(">")]
    status, _, body = _call(f"{next_url}&per_page=10", auth)
    assert status == 422
    assert body == {
        "message": "Unprocessable Content",
        "errors": ["When passing a cursor, do not include other query params."],
    }
    status, _, body = _call(next_url, auth)
    assert status == 200


def test_per_page_above_500_is_a_422_not_a_clamp(server):
    auth = {"Authorization": f"Bearer {_token(server)}"}
    status, _, body = _call(f"{server.base_url}/v3/candidates?per_page=600", auth)
    assert status == 422
    assert body["errors"] == [{"per_page": "`600` number is greater than: 500"}]


def test_pipe_form_filter_narrows_and_unsupported_filters_are_ignored(server):
    # Section 3: `updated_at=gte|t1|lte|t2`; demographic_questions have no timestamps.
    auth = {"Authorization": f"Bearer {_token(server)}"}
    _, _, everything = _call(f"{server.base_url}/v3/candidates?per_page=500", auth)
    window = "gte|2025-01-01T00:00:00Z|lte|2025-06-01T00:00:00Z"
    _, _, narrowed = _call(
        f"{server.base_url}/v3/candidates?per_page=500&updated_at={window}", auth
    )
    assert 0 < len(narrowed) < len(everything)
    assert all("2025-01-01" <= row["updated_at"] <= "2025-06-01" for row in narrowed)
    _, _, questions = _call(
        f"{server.base_url}/v3/demographic_questions?updated_at=gte|2099-01-01T00:00:00Z", auth
    )
    assert len(questions) == len(server.app.dump("demographic_questions"))


def test_missing_scope_gives_403_and_bad_token_401(server):
    # Section 1 [3P]: a credential without the scope gets 403 on that resource.
    limited = {"Authorization": f"Bearer {_token(server, 'limited-client', 'limited-secret')}"}
    status, _, body = _call(f"{server.base_url}/v3/offers", limited)
    assert status == 403
    assert "harvest:offers:list" in body["errors"][0]
    status, _, _ = _call(f"{server.base_url}/v3/candidates", limited)
    assert status == 200
    status, _, body = _call(
        f"{server.base_url}/v3/candidates", {"Authorization": "Bearer nonsense"}
    )
    assert status == 401
    assert body["message"] == "Unauthorized"


def test_rate_limit_headers_and_429(server):
    # Section 4: X-RateLimit-* on every response; 429 with Retry-After when spent.
    server.app.limiter = FixedWindowLimiter(2, 30.0)
    try:
        auth = {"Authorization": f"Bearer {_token(server)}"}
        statuses = []
        for _ in range(3):
            status, headers, _ = _call(f"{server.base_url}/v3/sources", auth)
            statuses.append(status)
        assert statuses[-1] == 429
        assert int(headers["Retry-After"]) >= 1
        assert headers["X-RateLimit-Limit"] == "2"
        assert headers["X-RateLimit-Remaining"] == "0"
        assert int(headers["X-RateLimit-Reset"]) > 0
    finally:
        server.app.limiter = None


def test_mutations_use_the_current_time(server):
    inserted = server.app.mutate("insert", "candidates", 1)
    row = next(r for r in server.app.dump("candidates") if r["id"] == inserted[0])
    assert row["created_at"] >= "2026-"
    assert row["created_at"] == row["updated_at"]
    deleted = server.app.mutate("delete", "notes", 2)
    remaining = {r["id"] for r in server.app.dump("notes")}
    assert not set(deleted) & remaining
