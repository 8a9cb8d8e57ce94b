"""Pins the Invenias stand-in to the documented API behaviour it reproduces.

Each test names the fact from the public Invenias API docs
(bullhorn/invenias-api-docs, source/index.html.md) it checks, so a drift between the
sandbox and the docs shows up here first.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

import pytest
from sandbox.core.registry import start_server

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def server() -> Any:
    running = start_server("invenias", records=60, seed=5)
    yield running
    running.stop()


def _call(
    url: str,
    *,
    body: Any = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    method: str | None = None,
) -> tuple[int, dict[str, str], Any]:
    headers: dict[str, str] = {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


def _grant(server: Any, **changes: str) -> dict[str, str]:
    credentials = server.app.credentials()
    form = {
        "grant_type": "password",
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "username": credentials["username"],
        "password": credentials["password"],
        "scope": "openid profile api email",
        "subdomain": credentials["subdomain"],
    }
    form.update(changes)
    return form


def _token(server: Any) -> str:
    status, _, body = _call(f"{server.base_url}/identity/connect/token", form=_grant(server))
    assert status == 200
    return str(body["access_token"])


def _list(server: Any, entity: str, body: dict[str, Any], token: str | None = None) -> Any:
    return _call(
        f"{server.base_url}/api/v1/{entity}/list", body=body, token=token or _token(server)
    )


def test_password_grant_returns_a_24_hour_bearer_token(server):
    """Authentication: form-encoded password grant -> access_token, expires_in 86400, Bearer."""
    status, _, body = _call(f"{server.base_url}/identity/connect/token", form=_grant(server))
    assert status == 200
    assert body["expires_in"] == 86400
    assert body["token_type"] == "Bearer"
    assert body["access_token"]


def test_wrong_content_type_is_invalid_client(server):
    """Troubleshooting: a 400 with invalid_client means the Content-Type header is wrong."""
    status, _, body = _call(f"{server.base_url}/identity/connect/token", body=_grant(server))
    assert (status, body["error"]) == (400, "invalid_client")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_secret": "nope"}, "invalid_client"),
        ({"password": "nope"}, "invalid_grant"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
    ],
)
def test_refused_token_requests_name_the_oauth_error(server, changes, error):
    """OAuth 2.0 errors on the token endpoint are 400 with an `error` code."""
    status, _, body = _call(
        f"{server.base_url}/identity/connect/token", form=_grant(server, **changes)
    )
    assert (status, body["error"]) == (400, error)


def test_calls_without_a_valid_token_are_401(server):
    """Unauthorized requests: an invalid bearer token gets 401."""
    assert _list(server, "people", {}, token="not-a-token")[0] == 401
    status, _, _ = _call(f"{server.base_url}/api/v1/people/list", body={})
    assert status == 401


def test_an_expired_token_is_401():
    """The token is valid for its lifetime only; then 401 until a new one is fetched."""
    running = start_server("invenias", records=5, seed=2)
    try:
        running.app.token_lifetime_seconds = 1
        token = _token(running)
        assert _list(running, "people", {}, token=token)[0] == 200
        time.sleep(1.2)
        assert _list(running, "people", {}, token=token)[0] == 401
    finally:
        running.stop()


def test_select_returns_the_columns_asked_for_plus_identity(server):
    """Select example: selected columns, ItemType, ItemId and OffLimitsStatus per item."""
    select = ["AssignmentReferenceNumber", "CompanyId", "CompanyDisplayName", "FileAs"]
    status, _, body = _list(server, "assignments", {"Select": select})
    assert status == 200
    for item in body["Items"]:
        assert set(item) <= {*select, "ItemType", "ItemId", "OffLimitsStatus"}
        assert item["ItemType"] == "Assignments"
        assert GUID.match(item["ItemId"])
        assert item["OffLimitsStatus"] in {"Off", "On"}
        assert set(item["CompanyId"]) == {"Id"}


def test_null_columns_are_left_out_of_items(server):
    """Select: for an item whose column is null, the column is not returned."""
    rows = server.app.data.tables["assignments"]
    empty = {ident for ident, row in rows.items() if row.get("ExternalRef") is None}
    assert empty
    _, _, body = _list(server, "assignments", {"Select": ["ExternalRef"], "PageSize": 1000})
    for item in body["Items"]:
        assert ("ExternalRef" in item) == (item["ItemId"] not in empty)


def test_no_select_returns_the_default_view_and_unknown_columns_are_400(server):
    """Select: without it, the default display view's columns come back."""
    _, _, body = _list(server, "people", {"PageSize": 5})
    assert "FileAs" in body["Items"][0]
    assert "PersonMiddleName" not in {key for item in body["Items"] for key in item}
    assert _list(server, "people", {"Select": ["NoSuchColumn"]})[0] == 400


def test_paging_covers_every_row_once_and_counts(server):
    """Pagination: PageSize (max 1000) and PageIndex; Paging.TotalItemCount/DatabaseItemCount."""
    token = _token(server)
    seen: list[str] = []
    for index in range(20):
        _, _, body = _list(
            server,
            "people",
            {"PageSize": 7, "PageIndex": index, "Sort": [{"Selector": "ItemId"}]},
            token,
        )
        seen += [item["ItemId"] for item in body["Items"]]
        if len(body["Items"]) < 7:
            break
    assert sorted(seen) == sorted(server.app.data.tables["people"])
    _, _, body = _list(
        server,
        "people",
        {
            "PageSize": 5,
            "Filter": ["TotalCandidateAssignments", ">", 2],
            "ReturnTotalCount": True,
            "ReturnTotalDatabaseItemCount": True,
        },
        token,
    )
    rows = server.app.data.tables["people"].values()
    assert body["Paging"]["TotalItemCount"] == sum(r["TotalCandidateAssignments"] > 2 for r in rows)
    assert body["Paging"]["TotalDatabaseItemCount"] == len(rows)
    assert _list(server, "people", {"PageSize": 1001}, token)[0] == 400


@pytest.mark.parametrize(
    ("lower_op", "upper_op"), [(">=", "<="), (">", "<"), (">=", "<"), (">", "<=")]
)
def test_date_window_sorted_by_its_column_pages_and_counts_like_a_scan(server, lower_op, upper_op):
    """A `[date, >=, a] and [date, <=, b]` window sorted by that date (the tap's incremental
    read) answers exactly the rows a full scan finds, in order, with their count."""
    token = _token(server)
    rows = list(server.app.data.tables["people"].values())
    dates = sorted({row["DateModified"] for row in rows})
    lower, upper = dates[len(dates) // 4], dates[3 * len(dates) // 4]

    def parsed(value: str) -> Any:
        return datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value))

    lower_value, upper_value = parsed(lower), parsed(upper)
    checks = {
        ">=": lambda v: parsed(v) >= lower_value,
        ">": lambda v: parsed(v) > lower_value,
        "<=": lambda v: parsed(v) <= upper_value,
        "<": lambda v: parsed(v) < upper_value,
    }
    expected = [
        row["ItemId"]
        for row in sorted(rows, key=lambda r: (parsed(r["DateModified"]), r["ItemId"]))
        if checks[lower_op](row["DateModified"]) and checks[upper_op](row["DateModified"])
    ]
    window = {
        "Filter": [["DateModified", lower_op, lower], "and", ["DateModified", upper_op, upper]],
        "Sort": [{"Selector": "DateModified"}, {"Selector": "ItemId"}],
        "Select": ["DateModified"],
        "ReturnTotalCount": True,
        "PageSize": 4,
    }
    seen: list[str] = []
    for index in range(100):
        _, _, body = _list(server, "people", {**window, "PageIndex": index}, token)
        assert body["Paging"]["TotalItemCount"] == len(expected)
        seen += [item["ItemId"] for item in body["Items"]]
        if len(body["Items"]) < 4:
            break
    assert expected
    assert seen == expected


OPERATOR_CASES = [
    (["TotalCandidateAssignments", "=", 3], lambda r: r["TotalCandidateAssignments"] == 3),
    (["TotalCandidateAssignments", ">", 3], lambda r: r["TotalCandidateAssignments"] > 3),
    (["TotalCandidateAssignments", ">=", 3], lambda r: r["TotalCandidateAssignments"] >= 3),
    (["TotalCandidateAssignments", "<", 2], lambda r: r["TotalCandidateAssignments"] < 2),
    (["TotalCandidateAssignments", "<=", 2], lambda r: r["TotalCandidateAssignments"] <= 2),
    (["TotalCandidateAssignments", "<>", 0], lambda r: r["TotalCandidateAssignments"] != 0),
    (["FileAs", "contains", "an"], lambda r: "an" in r["FileAs"].lower()),
    (["FileAs", "startswith", "h"], lambda r: r["FileAs"].lower().startswith("h")),
    (["FileAs", "endswith", "e"], lambda r: r["FileAs"].lower().endswith("e")),
    (["FileAs", "notcontains", "an"], lambda r: "an" not in r["FileAs"].lower()),
    (["PersonMiddleName", "isnull"], lambda r: r.get("PersonMiddleName") is None),
    (["PersonNickName", "isnullorempty"], lambda r: not r.get("PersonNickName")),
    (
        ["CandidateStatus_lookup", "in", ["Shortlisted", "Rejected"]],
        lambda r: r.get("CandidateStatus_lookup") in {"Shortlisted", "Rejected"},
    ),
    (
        ["DateModified", ">=", "2024-01-01T00:00:00+00:00"],
        lambda r: r["DateModified"] >= "2024-01-01",
    ),
    (
        [["TotalCandidateAssignments", ">", 3], "or", ["FileAs", "startswith", "l"]],
        lambda r: r["TotalCandidateAssignments"] > 3 or r["FileAs"].lower().startswith("l"),
    ),
    (
        [
            ["TotalCandidateAssignments", ">", 0],
            "and",
            [["FileAs", "contains", "a"], "or", ["FileAs", "contains", "o"]],
        ],
        lambda r: (
            r["TotalCandidateAssignments"] > 0
            and ("a" in r["FileAs"].lower() or "o" in r["FileAs"].lower())
        ),
    ),
]


@pytest.mark.parametrize(("expression", "expected"), OPERATOR_CASES)
def test_every_documented_filter_operator(server, expression, expected):
    """Comparison and logical operators: = > >= < <= <> contains ... in, and/or nesting."""
    _, _, body = _list(server, "people", {"Filter": expression, "PageSize": 1000, "Select": []})
    wanted = {i for i, row in server.app.data.tables["people"].items() if expected(row)}
    assert {item["ItemId"] for item in body["Items"]} == wanted


@pytest.mark.parametrize(
    "expression",
    [
        ["!", ["FileAs", "contains", "a"]],
        [["FileAs", "contains", "a"], "and", ["FileAs", "contains", "b"], "or", ["Fi", "=", 1]],
        ["FileAs", "like", "a"],
    ],
)
def test_unsupported_filters_are_400(server, expression):
    """Logical operators: 'not' is not supported; malformed filters are bad requests."""
    assert _list(server, "people", {"Filter": expression})[0] == 400


def test_sort_ascending_and_descending(server):
    """Sort: [{"Selector": column, "Desc": bool}]."""
    token = _token(server)
    for descending in (False, True):
        _, _, body = _list(
            server,
            "people",
            {
                "Select": ["DateModified"],
                "PageSize": 1000,
                "Sort": [{"Selector": "DateModified", "Desc": descending}],
            },
            token,
        )
        dates = [item["DateModified"] for item in body["Items"]]
        assert dates == sorted(dates, reverse=descending)


def test_available_columns_include_custom_columns(server):
    """IncludeAvailableColumns lists every column of the entity, tenant columns included."""
    _, _, body = _list(server, "people", {"PageSize": 1, "IncludeAvailableColumns": True})
    columns = {entry["FieldName"]: entry for entry in body["AvailableColumns"]}
    assert {"FileAs", "DateModified", "Custom_ExecutiveLevel", "Custom_BoardSeats"} <= set(columns)
    assert columns["Custom_BoardSeats"]["IsCustom"] is True


def test_settings_countries_rules_and_lookup_lists_shapes(server):
    """Settings, countries, data-management rules and lookup lists as documented."""
    token = _token(server)
    base = f"{server.base_url}/api/v1"
    status, _, body = _call(f"{base}/settings/AssignmentCandidateStatus", token=token)
    assert status == 200
    assert body["SettingName"] == "AssignmentCandidateStatus"
    entry = body["Settings"]["ItemReferences"][0]
    assert set(entry) == {"Id", "DisplayTitle", "ItemDisplayText", "ItemType", "StatusGroupName"}
    assert entry["ItemType"] == "LookupListEntries"
    assert _call(f"{base}/settings/NoSuchSetting", token=token)[0] == 404
    _, _, countries = _call(f"{base}/countries", token=token)
    assert countries["Items"][0] == {"CountryCode": "AF", "CountryName": "AFGHANISTAN"}
    for entity in ("people", "companies", "assignment"):
        _, _, rules = _call(f"{base}/datamanagement/{entity}/rules", token=token)
        assert {r["FieldPolicy"] for r in rules["Fields"]} <= {"Normal", "Preferred", "Compulsory"}
    _, _, lists = _list(server, "lookuplists", {}, token)
    list_id = lists["Items"][0]["ItemId"]
    _, _, entries = _call(f"{base}/lookuplists/{list_id}/entries/list", body={}, token=token)
    assert entries["Items"]
    for item in entries["Items"]:
        assert item["LookupListId"] == {"Id": list_id}
        assert item["ItemType"] == "LookupListEntries"
        assert isinstance(item["OrderIndex"], int)
    person = next(iter(server.app.data.tables["people"]))
    assert _call(f"{base}/people/{person}", token=token)[2]["ItemId"] == person


def test_quota_header_counts_down_and_429_until_the_window_resets():
    """Rate limiting: X-Request-Quota-Remaining; at 0 every call is 429 until the reset."""
    running = start_server("invenias", records=5, seed=1, rate_limit=(5, 2.0))
    try:
        token = _token(running)
        time.sleep(2.0 - time.time() % 2.0 + 0.05)  # start at a fresh window
        remaining = [
            int(_list(running, "people", {}, token)[1]["X-Request-Quota-Remaining"])
            for _ in range(5)
        ]
        assert remaining == [4, 3, 2, 1, 0]
        assert _list(running, "people", {}, token)[0] == 429
        assert running.app.rate_limited_served == 1
        time.sleep(2.1)
        assert _list(running, "people", {}, token)[0] == 200
    finally:
        running.stop()


def test_too_many_429s_disable_the_account():
    """An account collecting 9000 429s in 5 minutes is disabled (threshold scaled here)."""
    running = start_server("invenias", records=5, seed=1, rate_limit=(1, 60.0))
    try:
        running.app.disable_after_429s = 3
        token = _token(running)
        for _ in range(4):
            _list(running, "people", {}, token)
        assert running.app.account_disabled
        status, _, body = _call(f"{running.base_url}/identity/connect/token", form=_grant(running))
        assert (status, body["error"]) == (400, "invalid_grant")
    finally:
        running.stop()


def test_mutations_are_stamped_after_the_generated_data():
    """Edits made between syncs carry a later DateModified; deletes are permanent."""
    running = start_server("invenias", records=20, seed=4)
    try:
        newest = max(row["DateModified"] for row in running.app.dump("people"))
        changed = running.app.mutate("insert", "people", 2) + running.app.mutate(
            "update", "people", 2
        )
        rows = {row["ItemId"]: row for row in running.app.dump("people")}
        assert all(rows[ident]["DateModified"] > newest for ident in changed)
        deleted = running.app.mutate("delete", "people", 1)
        assert deleted[0] not in {row["ItemId"] for row in running.app.dump("people")}
        with pytest.raises(ValueError, match="no soft delete"):
            running.app.mutate("soft_delete", "people", 1)
    finally:
        running.stop()
