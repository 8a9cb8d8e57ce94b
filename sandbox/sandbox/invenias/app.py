"""Invenias API stand-in: password-grant tokens, list endpoints, settings and the quota.

Shapes follow the public Invenias API docs (bullhorn/invenias-api-docs):
- `POST /identity/connect/token`, form-encoded, `grant_type=password` with client id and
  secret, username, password, scope and subdomain; any other Content-Type is answered
  400 `invalid_client`. The token is a Bearer token valid `expires_in` seconds (86400).
- `POST /api/v1/{entity}/list` with a JSON body: Select, Filter, Sort, PageSize (max
  1000 rows per call), PageIndex, UsePaging, Skip/Take, ReturnTotalCount,
  ReturnTotalDatabaseItemCount, IncludeAvailableColumns. The answer is
  `{"Items": [...], "Paging": {...}}`; a column whose value is null is left out of the
  item; without Select the default display view's columns come back.
- `GET /api/v1/settings/{key}`, `GET /api/v1/countries`,
  `GET /api/v1/datamanagement/{people|companies|assignment}/rules`, `GET /api/v1/people/{id}`,
  `POST /api/v1/lookuplists/list`, `POST /api/v1/lookuplists/{id}/entries/list`.
- A fixed window of 3000 calls per 5 minutes, reported in `X-Request-Quota-Remaining`;
  at 0 every call gets 429 until the window resets. An account that receives 9000 429s
  within 5 minutes is disabled (the vendor's BTO team does this by hand; here it is
  automatic so tests can prove a tap never comes near it).
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.core.fake import utc_now
from sandbox.core.http import MutationError, Request, Response, SandboxApp
from sandbox.invenias.data import (
    ENTITIES,
    RULE_ENTITIES,
    InveniasData,
    Record,
    public_item,
)
from sandbox.invenias.filters import (
    DATE_RANK,
    FilterError,
    compile_filter,
    sort_key,
    sortable,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_ROWS_PER_CALL = 1000
TOKEN_LIFETIME_SECONDS = 86400
DISABLE_AFTER_429S = 9000
DISABLE_WINDOW_SECONDS = 300.0
CLIENT_ID = "sandbox-invenias-client"
CLIENT_SECRET = "sandbox-invenias-secret"  # noqa: S105 - sandbox demo credential
USERNAME = "api.user@sandbox.example"
PASSWORD = "sandbox-invenias-password"  # noqa: S105 - sandbox demo credential
SUBDOMAIN = "sandbox"
REQUIRED_SCOPES = {"api"}
ALWAYS_RETURNED = ("ItemId", "ItemType", "OffLimitsStatus")
LIST_PATH = re.compile(r"^/api/v1/(?P<entity>[a-z]+)/list$")
ENTRIES_PATH = re.compile(r"^/api/v1/lookuplists/(?P<parent>[0-9a-f-]{36})/entries/list$")
DENIED = {"Message": "Authorization has been denied for this request."}


@dataclass(frozen=True)
class ListCall:
    """One list request as the sandbox understood it (tests assert on these)."""

    entity: str
    body: dict[str, Any]
    status: int


class InveniasApp(SandboxApp):
    """The Invenias API over a seeded data set."""

    vendor = "invenias"

    def __init__(self, records: int = 1000, seed: int = 1) -> None:
        super().__init__()
        self.data = InveniasData(records=records, seed=seed)
        self.token_lifetime_seconds = TOKEN_LIFETIME_SECONDS
        self.tokens: dict[str, float] = {}
        self.issued_tokens: list[str] = []
        self.token_requests = 0
        self.list_calls: list[ListCall] = []
        self.rate_limited_served = 0
        self.disable_after_429s = DISABLE_AFTER_429S
        self.disable_window_seconds = DISABLE_WINDOW_SECONDS
        self.account_disabled = False
        self._recent_429s: deque[float] = deque()
        self._order_cache: dict[tuple[str, tuple[tuple[str, bool], ...]], list[str]] = {}
        self._versions: dict[str, int] = {}

    # -- SandboxApp contract -------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """Settings tap-invenias needs for this sandbox."""
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "username": USERNAME,
            "password": PASSWORD,
            "subdomain": SUBDOMAIN,
            "base_url": self.base_url,
        }

    def secrets(self) -> list[str]:
        """Client secret, password and every token issued."""
        with self.lock:
            return [CLIENT_SECRET, PASSWORD, *self.issued_tokens]

    def revoke_tokens(self) -> None:
        """Invalidate every issued token (a mid-run expiry)."""
        with self.lock:
            self.tokens.clear()

    def is_rate_limited_path(self, request: Request) -> bool:
        """API calls count against the quota; the identity server does not."""
        return request.path.startswith("/api/")

    def rate_limit_headers(self, remaining: int, limit: int, reset_epoch: float) -> dict[str, str]:
        """Invenias reports only the calls left in the window."""
        return {"X-Request-Quota-Remaining": str(remaining)}

    def rate_limited_response(self, retry_after: int, headers: dict[str, str]) -> Response:
        """429, counted towards the account-disable rule."""
        now = time.time()
        with self.lock:
            self.rate_limited_served += 1
            self._recent_429s.append(now)
            while self._recent_429s and self._recent_429s[0] <= now - self.disable_window_seconds:
                self._recent_429s.popleft()
            if len(self._recent_429s) >= self.disable_after_429s:
                self.account_disabled = True
        return Response.json(
            {"Message": "API calls quota exceeded! maximum admitted 3000 per 5m."},
            status=429,
            headers=headers,
        )

    def resources(self) -> list[str]:
        """Every list entity tests can mutate or dump."""
        return list(ENTITIES)

    def dump(self, resource: str) -> list[dict[str, Any]]:
        """Every current row of an entity with all its columns, as the API returns them."""
        spec = self._spec(resource)
        with self.lock:
            rows = self.data.tables[resource].values()
            return [public_item(row, spec.column_names, spec) for row in rows]

    def mutate(self, action: str, resource: str, count: int = 1) -> list[Any]:
        """Insert, update or (permanently) delete rows, stamped with the clock."""
        spec = self._spec(resource)
        with self.lock:
            table = self.data.tables[resource]
            now = utc_now()
            if action == "insert":
                ids = [self.data.generate(resource, created=now)["ItemId"] for _ in range(count)]
            else:
                ids = self.data.fake.random.sample(sorted(table), k=min(count, len(table)))
                if action == "delete":
                    for ident in ids:
                        self.data.forget(resource, ident)
                elif action == "update":
                    if spec.modified is None:
                        msg = f"{resource} has no modification date; changes would be invisible"
                        raise MutationError(msg)
                    for ident in ids:
                        self.data.touch(table[ident], now)
                elif action == "soft_delete":
                    # Every Invenias DELETE is permanent; there is no archive flag to set.
                    msg = "Invenias has no soft delete; use delete"
                    raise MutationError(msg)
                else:
                    msg = f"unknown action {action!r}"
                    raise MutationError(msg)
            self._versions[resource] = self._versions.get(resource, 0) + 1
            return ids

    # -- routes --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Identity server, list endpoints and the lookups."""
        if request.path == "/identity/connect/token":
            return self._token(request) if request.method == "POST" else _not_found()
        denied = self._authorise(request)
        if denied is not None:
            return denied
        path = request.path
        if request.method == "POST":
            match = LIST_PATH.match(path)
            if match and match["entity"] in ENTITIES and match["entity"] != "lookuplistentries":
                return self._list(request, match["entity"], parent=None)
            match = ENTRIES_PATH.match(path)
            if match:
                return self._list(request, "lookuplistentries", parent=match["parent"])
            return _not_found()
        if request.method != "GET":
            return Response.json({"Message": "The requested resource does not support it."}, 405)
        return self._get(path)

    def _get(self, path: str) -> Response:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v1"]:
            return _not_found()
        rest = parts[2:]
        if rest == ["countries"]:
            return Response.json({"Items": self.data.countries})
        if len(rest) == 2 and rest[0] == "settings":
            entries = self.data.settings.get(rest[1])
            if entries is None:
                return _not_found()
            return Response.json({"SettingName": rest[1], "Settings": {"ItemReferences": entries}})
        if len(rest) == 3 and rest[0] == "datamanagement" and rest[2] == "rules":
            fields = self.data.rules.get(rest[1]) if rest[1] in RULE_ENTITIES else None
            if fields is None:
                return _not_found()
            return Response.json({"Fields": fields})
        if len(rest) == 2 and rest[0] == "people":
            with self.lock:
                row = self.data.tables["people"].get(rest[1])
                if row is None:
                    return _not_found()
                spec = ENTITIES["people"]
                return Response.json(public_item(row, spec.column_names, spec))
        return _not_found()

    # -- identity ------------------------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _oauth_error("invalid_client")
        form = request.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client")
        if form.get("grant_type") != "password":
            return _oauth_error("unsupported_grant_type")
        if not set((form.get("scope") or "").split()) >= REQUIRED_SCOPES:
            return _oauth_error("invalid_scope")
        if form.get("username") != USERNAME or form.get("password") != PASSWORD:
            return _oauth_error("invalid_grant", "invalid_username_or_password")
        if self.account_disabled:
            return _oauth_error("invalid_grant", "user_account_disabled")
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + self.token_lifetime_seconds
            self.issued_tokens.append(token)
        return Response.json(
            {
                "access_token": token,
                "expires_in": self.token_lifetime_seconds,
                "token_type": "Bearer",
            }
        )

    def _authorise(self, request: Request) -> Response | None:
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return Response.json(DENIED, status=401)
        with self.lock:
            expires_at = self.tokens.get(token)
            if expires_at is None or expires_at <= time.time() or self.account_disabled:
                return Response.json(DENIED, status=401)
        return None

    # -- lists ---------------------------------------------------------------------------------
    def _list(self, request: Request, entity: str, parent: str | None) -> Response:
        try:
            body = request.json() if request.body else {}
        except ValueError:
            return _bad_request("The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _bad_request("The request body must be a JSON object.")
        try:
            response = self._answer_list(entity, body, parent)
        except FilterError as exc:
            response = _bad_request(str(exc))
        with self.lock:
            self.list_calls.append(ListCall(entity, body, response.status))
        return response

    def _answer_list(self, entity: str, body: dict[str, Any], parent: str | None) -> Response:
        spec = ENTITIES[entity]
        columns = set(spec.column_names) | set(ALWAYS_RETURNED)
        page_size = _bounded_int(body, "PageSize", 0, MAX_ROWS_PER_CALL)
        page_index = _bounded_int(body, "PageIndex", 0, None)
        skip = _bounded_int(body, "Skip", 0, None)
        take = _bounded_int(body, "Take", 0, MAX_ROWS_PER_CALL)
        select = body.get("Select") or list(spec.default_view)
        if not isinstance(select, list) or not all(isinstance(c, str) for c in select):
            raise FilterError("Select must be an array of column names")
        unknown = [name for name in select if name not in columns]
        if unknown:
            msg = f"Unknown column(s) in Select: {', '.join(unknown)}"
            raise FilterError(msg)
        predicate = compile_filter(body.get("Filter"), columns)
        sort = sort_key(body.get("Sort") or [], columns)
        if body.get("UsePaging", True) is False:
            page_size, page_index = 0, 0
        limit = take or page_size or MAX_ROWS_PER_CALL
        offset = skip + page_index * (page_size or limit)
        want_total = bool(body.get("ReturnTotalCount"))
        with self.lock:
            table = self.data.tables[entity]
            order = self._order(entity, table, sort)
            start, end, exact = _seek(body.get("Filter"), sort, order, table)
            if exact and parent is None:
                # The range is the answer: page it and count it without a scan.
                total = end - start
                first = start + offset
                matched = [table[ident] for ident in order[first : min(end, first + limit)]]
            else:
                candidates = (table[ident] for ident in order[start:end])
                if parent is not None:
                    candidates = (
                        row for row in candidates if row.get("LookupListId", {}).get("Id") == parent
                    )
                matched, total = _page_of(
                    filter(predicate, candidates), offset, limit, count_all=want_total
                )
            items = [public_item(row, select, spec) for row in matched]
            database_total = len(table)
        payload: dict[str, Any] = {"Items": items}
        paging: dict[str, int] = {}
        if want_total:
            paging["TotalItemCount"] = total
            if offset + limit < total:
                paging["NextPageNumber"] = page_index + 1
        if body.get("ReturnTotalDatabaseItemCount"):
            paging["TotalDatabaseItemCount"] = database_total
        if paging:
            payload["Paging"] = paging
        if body.get("IncludeAvailableColumns"):
            payload["AvailableColumns"] = spec.available_columns()
        return Response.json(payload)

    def _order(
        self, entity: str, table: dict[str, Record], sort: list[tuple[str, bool]]
    ) -> list[str]:
        """Row ids in Sort order (ItemId breaks ties), cached until the table changes."""
        key = (f"{entity}@{self._versions.get(entity, 0)}", tuple(sort))
        cached = self._order_cache.get(key)
        if cached is not None:
            return cached
        ids = sorted(table)
        for column, descending in reversed(sort):
            ids.sort(key=lambda ident: sortable(table[ident].get(column)), reverse=descending)
        self._order_cache = {k: v for k, v in self._order_cache.items() if k[0] == key[0]}
        self._order_cache[key] = ids
        return ids

    def _spec(self, resource: str) -> Any:
        if resource not in ENTITIES:
            msg = f"unknown resource {resource!r}"
            raise MutationError(msg)
        return ENTITIES[resource]


def _seek(
    expression: Any, sort: list[tuple[str, bool]], order: list[str], table: dict[str, Record]
) -> tuple[int, int, bool]:
    """Rows `order[start:end]` that bounds on the first Sort column allow (an index seek).

    `exact` is true when the Filter is nothing but such bounds joined by "and" on a date
    column, so every row in the range matches and none outside it does.
    """
    everything = (0, len(order), False)
    if not sort or sort[0][1] or not isinstance(expression, list) or not expression:
        return everything
    column = sort[0][0]
    conditions = [expression] if isinstance(expression[0], str) else expression
    if any(isinstance(item, str) and item.lower() == "or" for item in conditions):
        return everything
    start, end, exact = 0, len(order), True
    for item in conditions:
        if isinstance(item, str):
            continue
        if not (isinstance(item, list) and len(item) == 3 and item[0] == column):
            exact = False
            continue
        operator, bound = item[1], sortable(item[2])
        if operator not in {">=", ">", "<=", "<"} or bound[0] != DATE_RANK:
            exact = False
            continue
        try:
            # Rows below the bound (or up to it, for ">" and "<=") come first in the order.
            position = _first_index(order, table, column, bound, strict=operator in {">", "<="})
        except TypeError:
            return everything
        if operator in {">=", ">"}:
            start = max(start, position)
        else:
            end = min(end, position)
    return start, max(start, end), exact


def _page_of(
    rows: Iterable[Record], offset: int, limit: int, *, count_all: bool
) -> tuple[list[Record], int]:
    """One page of the matches and how many matched (all, or up to the page's end)."""
    page: list[Record] = []
    total = 0
    for row in rows:
        if offset <= total < offset + limit:
            page.append(row)
        total += 1
        if total >= offset + limit and not count_all:
            break
    return page, total


def _first_index(
    order: list[str], table: dict[str, Record], column: str, bound: Any, *, strict: bool
) -> int:
    """The first position whose value is >= bound (> bound when `strict`)."""
    low, high = 0, len(order)
    while low < high:
        middle = (low + high) // 2
        value = sortable(table[order[middle]].get(column))
        if value <= bound if strict else value < bound:
            low = middle + 1
        else:
            high = middle
    return low


def _bounded_int(body: dict[str, Any], name: str, low: int, high: int | None) -> int:
    value = body.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an integer"
        raise FilterError(msg)
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        msg = f"{name} must be {limit}"
        raise FilterError(msg)
    return value


def _oauth_error(error: str, description: str | None = None) -> Response:
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return Response.json(payload, status=400)


def _bad_request(message: str) -> Response:
    return Response.json({"Message": message}, status=400)


def _not_found() -> Response:
    return Response.json({"Message": "No HTTP resource was found that matches the request."}, 404)


__all__ = ["InveniasApp", "ListCall"]
