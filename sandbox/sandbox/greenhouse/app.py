"""Greenhouse Harvest v3 stand-in: OAuth client credentials, cursor-paged list endpoints.

Behaviour reproduced from the v3 docs (see shared/reference/greenhouse-harvest-v3.md):
- `POST /token` with HTTP Basic client credentials, form body `grant_type=client_credentials`
  and optional `sub`; Bearer tokens that expire.
- `GET /v3/<resource>`: bare JSON array, ordered by id descending; `per_page` 1..500
  (default 100, 422 above); `Link: <...?cursor=...>; rel="next"` while more rows exist; a
  request carrying `cursor` must carry nothing else (422).
- Pipe-form date filters (`updated_at=gte|t1|lte|t2`) on the fields each resource supports;
  filters a resource does not support are ignored, as the real API does.
- Scopes `harvest:<resource>:list`: a token without one gets 403 on that resource; so does a
  `sub` user who is not a Site Admin.
- `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds) headers and
  429 with `Retry-After` over a fixed window. The token endpoint is metered separately.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sandbox.core.fake import iso_millis, utc_now
from sandbox.core.http import MutationError, Request, Response, SandboxApp
from sandbox.greenhouse.data import SPECS, GreenhouseData, Record

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 100
MAX_IDS = 50
DATE_OPERATORS = {"gte", "lte", "gt", "lt"}
ALL_SCOPES = frozenset(f"harvest:{name}:list" for name in SPECS)
# A credential whose admin did not tick these scopes (used to test 403 handling).
LIMITED_MISSING_SCOPES = frozenset({"harvest:offers:list", "harvest:eeoc:list"})
MUTABLE_FIELDS = (
    "last_name",
    "name",
    "title",
    "body",
    "status",
    "candidate_rating",
    "filename",
    "location",
    "requisition_id",
    "free_form_text",
)


class QueryError(ValueError):
    """A list request the real API answers with 422."""

    def __init__(self, *errors: Any) -> None:
        super().__init__(str(errors))
        self.errors = list(errors)


@dataclass
class IssuedToken:
    """A bearer token the sandbox handed out."""

    client_id: str
    scopes: frozenset[str]
    sub: int | None
    expires_at: float


@dataclass(frozen=True)
class ListQuery:
    """The filters of a list request, carried inside the cursor."""

    resource: str
    per_page: int
    date_ranges: tuple[tuple[str, str, str], ...]  # (field, operator, iso value)
    ids: tuple[int, ...] | None
    parents: tuple[tuple[str, tuple[int, ...]], ...]
    flags: tuple[tuple[str, str], ...]
    after_id: int | None = None

    def encode(self, after_id: int) -> str:
        """An opaque URL-safe cursor holding the filters and the position."""
        payload = {
            "r": self.resource,
            "p": self.per_page,
            "d": self.date_ranges,
            "i": self.ids,
            "pa": self.parents,
            "fl": self.flags,
            "a": after_id,
        }
        raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, cursor: str, resource: str) -> ListQuery:
        """Rebuild the query from a cursor, or raise QueryError."""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded))
            query = cls(
                resource=data["r"],
                per_page=int(data["p"]),
                date_ranges=tuple(tuple(item) for item in data["d"]),
                ids=tuple(data["i"]) if data["i"] is not None else None,
                parents=tuple((name, tuple(values)) for name, values in data["pa"]),
                flags=tuple(tuple(item) for item in data["fl"]),
                after_id=int(data["a"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise QueryError("Invalid cursor") from exc
        if query.resource != resource:
            raise QueryError("Invalid cursor")
        return query


def _parse_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"Invalid date-time: {value}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return iso_millis(moment)


def _parse_date_filter(name: str, raw: str) -> list[tuple[str, str, str]]:
    parts = raw.split("|")
    if len(parts) % 2 or not parts[0]:
        raise QueryError({name: f"expected operator|value pairs, got {raw!r}"})
    ranges = []
    for operator, value in zip(parts[::2], parts[1::2], strict=True):
        if operator not in DATE_OPERATORS:
            raise QueryError({name: f"unknown operator {operator!r}"})
        ranges.append((name, operator, _parse_time(value)))
    return ranges


def _parse_ids(name: str, raw: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in raw.split(",") if v)
    except ValueError as exc:
        raise QueryError({name: "must be comma-separated integers"}) from exc
    if len(values) > MAX_IDS:
        raise QueryError({name: f"at most {MAX_IDS} ids"})
    return values


def _public(row: Record) -> Record:
    """The row as the API shows it: sandbox-only markers (leading `_`) removed."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


def _matches_date(value: str | None, operator: str, bound: str) -> bool:
    if value is None:
        return False
    if operator == "gte":
        return value >= bound
    if operator == "gt":
        return value > bound
    if operator == "lte":
        return value <= bound
    return value < bound


class GreenhouseApp(SandboxApp):
    """The Harvest v3 stand-in."""

    vendor = "greenhouse"

    def __init__(self, records: int = 1000, seed: int = 1) -> None:
        super().__init__()
        self.data = GreenhouseData(records, seed)
        self.clients = {
            "sandbox-client": ("sandbox-secret", ALL_SCOPES),
            "limited-client": ("limited-secret", ALL_SCOPES - LIMITED_MISSING_SCOPES),
        }
        self.tokens: dict[str, IssuedToken] = {}
        self.issued_tokens: list[str] = []
        self.token_ttl_seconds = 3600
        # Which expiry field the token response carries: sources disagree, so both exist.
        self.token_expiry_field = "expires_in"  # noqa: S105 - a field name
        self.token_requests = 0
        self._sorted_ids: dict[str, list[int]] = {}

    # -- SandboxApp --------------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """Settings tap-greenhouse needs for this sandbox."""
        return {
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "api_url": f"{self.base_url}/v3",
            "auth_url": f"{self.base_url}/token",
        }

    def secrets(self) -> list[str]:
        """Client secrets and every token issued."""
        with self.lock:
            return [secret for secret, _ in self.clients.values()] + list(self.issued_tokens)

    def revoke_tokens(self) -> None:
        """Expire every issued token."""
        with self.lock:
            self.tokens.clear()

    def is_rate_limited_path(self, request: Request) -> bool:
        """The token endpoint has its own window; only API calls count."""
        return request.path.startswith("/v3/")

    def rate_limit_headers(self, remaining: int, limit: int, reset_epoch: float) -> dict[str, str]:
        """Harvest's X-RateLimit-* headers."""
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(reset_epoch)),
        }

    def rate_limited_response(self, retry_after: int, headers: dict[str, str]) -> Response:
        """429 without a wait time in the body; Retry-After carries it."""
        return Response.json({"message": "Too Many Requests"}, status=429, headers=headers)

    def resources(self) -> list[str]:
        """Every v3 resource served."""
        return list(SPECS)

    def dump(self, resource: str) -> list[dict[str, Any]]:
        """All current rows of a resource, in id order."""
        self._require(resource)
        with self.lock:
            return [_public(row) for _, row in sorted(self.data.tables[resource].items())]

    def mutate(self, action: str, resource: str, count: int = 1) -> list[Any]:
        """Insert, update, soft_delete or delete rows with the current time."""
        spec = self._require(resource)
        with self.lock:
            table = self.data.tables[resource]
            now = utc_now()
            if action == "insert":
                ids = [self.data.generate(resource, created=now)["id"] for _ in range(count)]
                self._sorted_ids.pop(resource, None)
                return ids
            chosen = self.data.fake.random.sample(sorted(table), k=min(count, len(table)))
            if action == "delete":
                for ident in chosen:
                    self.data.remove(resource, ident)
                self._sorted_ids.pop(resource, None)
                return chosen
            if action == "soft_delete" and not spec.soft_delete_field:
                msg = f"{resource} has no soft-delete flag in Harvest v3"
                raise MutationError(msg)
            if action not in {"update", "soft_delete"}:
                msg = f"unknown action {action!r}"
                raise MutationError(msg)
            if not spec.date_filters:
                msg = f"{resource} has no timestamps; updates would be invisible"
                raise MutationError(msg)
            for ident in chosen:
                self._touch(table[ident], now, action, spec.soft_delete_field)
            return chosen

    @staticmethod
    def _touch(row: Record, now: datetime, action: str, soft_field: str | None) -> None:
        if action == "soft_delete" and soft_field:
            row[soft_field] = soft_field == "deactivated"
        else:
            for field in MUTABLE_FIELDS:
                if isinstance(row.get(field), str):
                    row[field] = f"{row[field].removesuffix(' (edited)')} (edited)"
                    break
        stamp = iso_millis(now)
        for field in ("updated_at", "submitted_at", "last_activity_at"):
            if field in row:
                row[field] = stamp

    # -- routes ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Token and list routes."""
        if request.path == "/token":
            return self._token(request)
        if request.path.startswith("/v3/") and request.method == "GET":
            return self._list(request, request.path[len("/v3/") :].strip("/"))
        return Response.json({"message": "Resource not found"}, status=404)

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        if request.method != "POST":
            return Response.json({"error": "invalid_request"}, status=405)
        content_type = request.header("Content-Type") or ""
        if "application/x-www-form-urlencoded" not in content_type:
            return Response.json({"error": "invalid_request"}, status=400)
        client_id, client_secret = self._basic_credentials(request)
        known = self.clients.get(client_id or "")
        if not known or known[0] != client_secret:
            return Response.json({"error": "invalid_client"}, status=401)
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Response.json({"error": "unsupported_grant_type"}, status=400)
        sub: int | None = None
        if form.get("sub"):
            try:
                sub = int(form["sub"])
            except ValueError:
                return Response.json({"error": "invalid_request"}, status=400)
            if sub not in self.data.tables["users"]:
                return Response.json({"error": "invalid_grant"}, status=400)
        token = secrets.token_urlsafe(32)
        expires_at = time.time() + self.token_ttl_seconds
        with self.lock:
            self.tokens[token] = IssuedToken(client_id or "", known[1], sub, expires_at)
            self.issued_tokens.append(token)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer"}
        if self.token_expiry_field == "expires_at":  # noqa: S105
            body["expires_at"] = iso_millis(datetime.fromtimestamp(expires_at, timezone.utc))
        else:
            body["expires_in"] = self.token_ttl_seconds
        return Response.json(body)

    @staticmethod
    def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
        header = request.header("Authorization") or ""
        if not header.startswith("Basic "):
            return None, None
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (ValueError, binascii.Error):
            return None, None
        user, _, password = decoded.partition(":")
        return user, password

    def _authorise(self, request: Request, resource: str) -> Response | None:
        header = request.header("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self.lock:
            issued = self.tokens.get(token)
        if not issued or issued.expires_at <= time.time():
            return Response.json(
                {"message": "Unauthorized", "errors": ["Token could not be decoded"]}, status=401
            )
        scope = f"harvest:{resource}:list"
        if scope not in issued.scopes:
            return Response.json(
                {"message": "Forbidden", "errors": [f"Missing required scope: {scope}"]},
                status=403,
            )
        if issued.sub is not None and not self.data.tables["users"][issued.sub]["site_admin"]:
            return Response.json(
                {"message": "Forbidden", "errors": ["List endpoints require a Site Admin user"]},
                status=403,
            )
        return None

    def _list(self, request: Request, resource: str) -> Response:
        if resource not in SPECS:
            return Response.json({"message": "Resource not found"}, status=404)
        denied = self._authorise(request, resource)
        if denied:
            return denied
        try:
            query = self._parse_query(request, resource)
        except QueryError as exc:
            return Response.json(
                {"message": "Unprocessable Content", "errors": exc.errors}, status=422
            )
        with self.lock:
            rows, last_id, more = self._page(query)
            headers = {}
            if more and last_id is not None:
                next_url = f"{self.base_url}/v3/{resource}?cursor={query.encode(last_id)}"
                headers["Link"] = f'<{next_url}>; rel="next"'
            return Response.json([_public(row) for row in rows], headers=headers)

    def _parse_query(self, request: Request, resource: str) -> ListQuery:
        params = request.query
        if "cursor" in params:
            if len(params) > 1:
                raise QueryError("When passing a cursor, do not include other query params.")
            return ListQuery.decode(params["cursor"][0], resource)
        spec = SPECS[resource]
        per_page = DEFAULT_PER_PAGE
        if "per_page" in params:
            raw = params["per_page"][0]
            try:
                per_page = int(raw)
            except ValueError as exc:
                raise QueryError({"per_page": f"`{raw}` is not an integer"}) from exc
            if per_page > MAX_PER_PAGE:
                raise QueryError(
                    {"per_page": f"`{per_page}` number is greater than: {MAX_PER_PAGE}"}
                )
            if per_page < 1:
                raise QueryError({"per_page": f"`{per_page}` number is less than: 1"})
        date_ranges: list[tuple[str, str, str]] = []
        for name in spec.date_filters:
            if name in params:
                date_ranges.extend(_parse_date_filter(name, params[name][0]))
        ids = _parse_ids("ids", params["ids"][0]) if "ids" in params else None
        parents = tuple(
            (field, _parse_ids(name, params[name][0]))
            for name, field in spec.parent_filters
            if name in params
        )
        flags = tuple(
            (name, params[name][0])
            for name in ("show_service_accounts", "include_defaults")
            if name in params
        )
        return ListQuery(resource, per_page, tuple(date_ranges), ids, parents, flags)

    def _descending_ids(self, resource: str) -> list[int]:
        cached = self._sorted_ids.get(resource)
        if cached is None:
            cached = sorted(self.data.tables[resource])
            self._sorted_ids[resource] = cached
        return cached

    @staticmethod
    def _visible(row: Record, flags: dict[str, str]) -> bool:
        if row.get("_service_account"):
            return flags.get("show_service_accounts") == "true"
        if row.get("_default"):
            return flags.get("include_defaults") == "true"
        return True

    def _page(self, query: ListQuery) -> tuple[list[Record], int | None, bool]:
        """One page in id-descending order, starting below the cursor's id."""
        table = self.data.tables[query.resource]
        ids = self._descending_ids(query.resource)
        position = len(ids) if query.after_id is None else bisect_left(ids, query.after_id)
        flags = dict(query.flags)
        wanted = set(query.ids) if query.ids is not None else None
        rows: list[Record] = []
        for index in range(position - 1, -1, -1):
            row = table[ids[index]]
            if wanted is not None and row["id"] not in wanted:
                continue
            if any(row.get(field) not in values for field, values in query.parents):
                continue
            if not all(_matches_date(row.get(f), op, bound) for f, op, bound in query.date_ranges):
                continue
            if not self._visible(row, flags):
                continue
            if len(rows) == query.per_page:
                return rows, rows[-1]["id"], True
            rows.append(row)
        return rows, rows[-1]["id"] if rows else None, False

    @staticmethod
    def _require(resource: str) -> Any:
        if resource not in SPECS:
            msg = f"unknown resource {resource!r}"
            raise MutationError(msg)
        return SPECS[resource]
