"""Bullhorn REST stand-in: the partner OAuth login chain, meta, query and to-many endpoints.

Shapes follow the Bullhorn REST docs (bullhorn/rest-api-docs, summarised in
shared/reference/bullhorn.md):
- `GET /rest-services/loginInfo?username=` gives `oauthUrl` and `restUrl` (`_intro.md`).
- `POST /oauth/authorize` (client_id, response_type=code, action=Login, username, password)
  answers 302 with `code` in the `Location` query; an unapproved client gets the HTML consent
  page; bad credentials get the HTML login form again.
- `POST /oauth/token` (authorization_code or refresh_token grants) gives `access_token`,
  `refresh_token`, `expires_in` (single-use, rotating refresh tokens).
- `POST /rest-services/login?version=*&access_token=` gives `BhRestToken` and the tenant
  `restUrl` `.../rest-services/{corpToken}/` (`_login.md`).
- Tenant calls need `BhRestToken` (header, query or cookie): 412 when missing, 401 when
  invalid or expired (`_authorization.md`); `ping` gives `sessionExpires` (`_ping.md`).
- `meta`, `meta/{Entity}?fields=*&meta=full` (`_meta.md`); `query/{Entity}` GET and POST with
  where/fields/orderBy/start/count (count at most 500) answering `{start, count, data}`
  (`_query.md`); `entity/{Entity}/{id}/{toManyField}` (`_entity.md`).
- `x-ratelimit-limit-minute` / `x-ratelimit-remaining-minute` headers; 429 over the limit.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sandbox.bullhorn.data import (
    ADDRESS_FIELDS,
    CUSTOM_LABELS,
    ENTITIES,
    INLINE_TO_MANY,
    BullhornData,
    Record,
    epoch_ms,
)
from sandbox.bullhorn.where import WhereError, parse_where
from sandbox.core.fake import utc_now
from sandbox.core.http import MutationError, Request, Response, SandboxApp

MAX_COUNT = 500
DEFAULT_COUNT = 5
CORP_TOKEN = "sbx7q"  # noqa: S105 - the tenant path segment, not a secret
REDIRECT_URI = "https://example.invalid/oauth/callback"
CONSENT_PAGE = (
    "<html><head><title>Bullhorn - Authorize</title></head><body>"
    "<form method='post' action='authorize'><p>The application is requesting access to your "
    "Bullhorn data. Do you approve?</p><input type='hidden' name='approval_prompt' "
    "value='auto'/><button name='action' value='Login'>Agree</button></form></body></html>"
)
LOGIN_PAGE = (
    "<html><head><title>Bullhorn - Login</title></head><body><form method='post'>"
    "<p class='error'>Invalid credentials.</p><input name='username'/>"
    "<input name='password' type='password'/></form></body></html>"
)


@dataclass
class Subscription:
    """An entity event subscription: pending events and the batches already handed out."""

    names: set[str]
    event_types: set[str]
    created_on: int
    pending: list[dict[str, Any]] = field(default_factory=list)
    batches: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    last_request_id: int = 0


@dataclass
class Session:
    """A REST session (BhRestToken)."""

    username: str
    expires_at: float


class BullhornApp(SandboxApp):
    """The Bullhorn REST stand-in."""

    vendor = "bullhorn"

    def __init__(self, records: int = 1000, seed: int = 1) -> None:
        super().__init__()
        self.data = BullhornData(records, seed)
        self.users = {"sandbox.api": "sandbox-password-1"}
        self.clients = {"sandbox-client-id": "sandbox-client-secret"}
        self.approved: set[tuple[str, str]] = {("sandbox.api", "sandbox-client-id")}
        self.codes: dict[str, tuple[str, str]] = {}
        self.access_tokens: dict[str, tuple[str, str, float]] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        self.sessions: dict[str, Session] = {}
        self.session_ttl_seconds = 600.0
        self.forbidden_entities: set[str] = set()
        self.max_count = MAX_COUNT
        self.login_count = 0
        self.issued: list[str] = []
        self.subscriptions: dict[str, Subscription] = {}
        # When set, the OAuth server answers 307 to `{redirect_base}/dc2/oauth/...`, as Bullhorn
        # does when a client reaches the wrong data centre (`_intro.md`).
        self.redirect_base: str | None = None

    # -- SandboxApp --------------------------------------------------------------------------
    def credentials(self) -> dict[str, str]:
        """Settings tap-bullhorn needs for this sandbox."""
        return {
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
            "username": "sandbox.api",
            "password": "sandbox-password-1",
            "login_info_url": f"{self.base_url}/rest-services/loginInfo",
        }

    def secrets(self) -> list[str]:
        """Client secrets, passwords and every code/token/session issued."""
        with self.lock:
            return [
                *self.clients.values(),
                *self.users.values(),
                *self.issued,
            ]

    def revoke_tokens(self) -> None:
        """Expire every session and token (the tap must log in again)."""
        with self.lock:
            self.sessions.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def is_rate_limited_path(self, request: Request) -> bool:
        """Tenant REST calls count; loginInfo and the OAuth server are metered separately."""
        return request.path.startswith(f"/rest-services/{CORP_TOKEN}/")

    def rate_limit_headers(self, remaining: int, limit: int, reset_epoch: float) -> dict[str, str]:
        """Bullhorn's per-minute headers."""
        return {
            "x-ratelimit-limit-minute": str(limit),
            "x-ratelimit-remaining-minute": str(remaining),
        }

    def rate_limited_response(self, retry_after: int, headers: dict[str, str]) -> Response:
        """Bullhorn's 429 body."""
        return Response.json(
            {"errorMessage": "Rate limit exceeded. Retry the request.", "errorCode": 429},
            status=429,
            headers=headers,
        )

    def resources(self) -> list[str]:
        """Every entity the sandbox serves."""
        return list(ENTITIES)

    def dump(self, resource: str) -> list[dict[str, Any]]:
        """Every current row as `fields=*` returns it, ordered by id."""
        spec = self._require(resource)
        with self.lock:
            rows = sorted(self.data.rows(resource).values(), key=lambda r: r["id"])
            return [self.render(spec.name, row, list(spec.all_fields())) for row in rows]

    def mutate(self, action: str, resource: str, count: int = 1) -> list[Any]:
        """Insert, update, soft-delete or hard-delete rows, stamped with the real clock."""
        spec = self._require(resource)
        now = epoch_ms(utc_now())
        with self.lock:
            rows = self.data.rows(resource)
            fake = self.data.faker(resource, f"mutate{len(rows)}{now}")
            ids: list[int] = []
            if action == "insert":
                for _ in range(count):
                    row_id = self.data.new_id(resource)
                    row = self.data.generate(resource, row_id, fake)
                    row["dateAdded"] = now
                    if "dateLastModified" in row:
                        row["dateLastModified"] = now
                    if "isDeleted" in row:
                        row["isDeleted"] = False
                    rows[row_id] = row
                    ids.append(row_id)
            elif action in {"update", "soft_delete", "delete"}:
                if action == "update" and spec.timestamp != "dateLastModified":
                    msg = f"{resource} has no dateLastModified; it is immutable"
                    raise MutationError(msg)
                if action == "soft_delete" and not spec.soft_delete:
                    msg = f"{resource} is not soft-deletable"
                    raise MutationError(msg)
                if action == "delete" and not spec.hard_delete:
                    msg = f"{resource} is not hard-deletable"
                    raise MutationError(msg)
                candidates = sorted(
                    row_id for row_id, row in rows.items() if not row.get("isDeleted")
                )
                chosen = sorted(fake.random.sample(candidates, k=min(count, len(candidates))))
                for row_id in chosen:
                    if action == "delete":
                        del rows[row_id]
                        continue
                    row = rows[row_id]
                    row["dateLastModified"] = now
                    if action == "soft_delete":
                        row["isDeleted"] = True
                    else:
                        self._touch(spec.name, row, fake)
                ids = chosen
            else:
                msg = f"unknown action {action!r}"
                raise MutationError(msg)
            self.data.invalidate(resource)
            event_type = {"insert": "INSERTED", "delete": "DELETED"}.get(action, "UPDATED")
            self._publish(resource, ids, event_type, now)
            return ids

    def _publish(self, entity: str, ids: list[int], event_type: str, now: int) -> None:
        for sub_id, subscription in self.subscriptions.items():
            if entity not in subscription.names or event_type not in subscription.event_types:
                continue
            for entity_id in ids:
                subscription.pending.append(
                    {
                        "eventId": f"ID:JBM-{sub_id}-{len(subscription.pending)}-{entity_id}",
                        "eventType": "ENTITY",
                        "eventTimestamp": now,
                        "eventMetadata": {"PERSON_ID": "1", "TRANSACTION_ID": secrets.token_hex(4)},
                        "entityName": entity,
                        "entityId": entity_id,
                        "entityEventType": event_type,
                        "updatedProperties": []
                        if event_type != "UPDATED"
                        else ["dateLastModified"],
                    }
                )

    def _touch(self, entity: str, row: Record, fake: Any) -> None:
        for name, code in ENTITIES[entity].fields.items():
            if code == "String" and name not in {"firstName", "lastName"}:
                row[name] = fake.sentence(4)
                return

    @staticmethod
    def _require(resource: str) -> Any:
        spec = ENTITIES.get(resource)
        if spec is None:
            msg = f"unknown resource {resource!r}; choose from {', '.join(ENTITIES)}"
            raise MutationError(msg)
        return spec

    # -- routing -------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Route one vendor request."""
        path = request.path
        if path == "/rest-services/loginInfo" and request.method == "GET":
            return self._login_info(request)
        if path.startswith("/oauth/") and self.redirect_base:
            location = f"{self.redirect_base}/dc2{path}"
            if request.raw_query:
                location += f"?{request.raw_query}"
            return Response(status=307, headers={"Location": location})
        if path.startswith("/dc2/"):
            path = path[len("/dc2") :]
        if path == "/oauth/authorize":
            return self._authorize(request)
        if path == "/oauth/token" and request.method == "POST":
            return self._token(request)
        if path == "/rest-services/login":
            return self._login(request)
        prefix = f"/rest-services/{CORP_TOKEN}/"
        if not path.startswith(prefix):
            return _error(404, f"No resource at {path}")
        denied = self._check_session(request)
        if denied:
            return denied
        parts = path[len(prefix) :].strip("/").split("/")
        with self.lock:
            return self._tenant(request, parts)

    def _tenant(self, request: Request, parts: list[str]) -> Response:
        head = parts[0]
        if head == "ping" and len(parts) == 1:
            session = self.sessions[self._token_of(request) or ""]
            return Response.json({"sessionExpires": int(session.expires_at * 1000)})
        if head == "meta" and len(parts) == 1:
            return Response.json(
                [
                    {"entity": name, "metaUrl": f"{self._rest_url()}meta/{name}?fields=*"}
                    for name in ENTITIES
                ]
            )
        if head == "event" and len(parts) == 3 and parts[1] == "subscription":
            return self._subscription(request, parts[2])
        if head in {"meta", "query", "entity"} and len(parts) >= 2:
            entity = parts[1]
            if entity not in ENTITIES:
                return _error(400, f"Invalid entity type: {entity}")
            if entity in self.forbidden_entities:
                return _error(403, f"User does not have access to entity {entity}")
            if head == "meta" and len(parts) == 2:
                return Response.json(self._meta(entity))
            if head == "query" and len(parts) == 2 and request.method in {"GET", "POST"}:
                return self._query(request, entity)
            if head == "entity" and len(parts) == 4:
                return self._to_many(request, entity, parts[2], parts[3])
        return _error(404, f"Unknown REST resource {'/'.join(parts)}")

    # -- auth ------------------------------------------------------------------------------------
    def _params(self, request: Request) -> dict[str, str]:
        params = {key: values[0] for key, values in request.query.items()}
        content_type = (request.header("Content-Type") or "").lower()
        if request.body and "json" not in content_type:
            params.update(request.form())
        return params

    def _login_info(self, request: Request) -> Response:
        username = request.param("username") or ""
        if username not in self.users:
            return _error(400, "Invalid username.")
        return Response.json(
            {
                "atsUrl": f"{self.base_url}/ats",
                "coreUrl": f"{self.base_url}/core",
                "oauthUrl": f"{self.base_url}/oauth",
                "restUrl": f"{self.base_url}/rest-services",
                "samlUrl": f"{self.base_url}/saml",
                "dataCenterId": 99,
                "superCluster": "sandbox",
            }
        )

    def _authorize(self, request: Request) -> Response:
        params = self._params(request)
        client_id = params.get("client_id", "")
        if client_id not in self.clients:
            return Response.json(
                {"error": "invalid_client", "error_description": "Invalid client_id"}, 400
            )
        if params.get("response_type") != "code":
            return Response.json({"error": "unsupported_response_type"}, 400)
        username, password = params.get("username", ""), params.get("password", "")
        if params.get("action") != "Login" or self.users.get(username) != password:
            return Response.text(LOGIN_PAGE, content_type="text/html")
        with self.lock:
            if (username, client_id) not in self.approved:
                return Response.text(CONSENT_PAGE, content_type="text/html")
            code = f"22{secrets.token_hex(12)}"
            self.codes[code] = (username, client_id)
            self.issued.append(code)
        target = params.get("redirect_uri") or REDIRECT_URI
        location = f"{target}?{urlencode({'code': code, 'client_id': client_id})}"
        return Response(status=302, headers={"Location": location})

    def _token(self, request: Request) -> Response:
        params = self._params(request)
        client_id = params.get("client_id", "")
        if self.clients.get(client_id) != params.get("client_secret"):
            return Response.json(
                {"error": "invalid_client", "error_description": "Invalid client credentials"}, 401
            )
        with self.lock:
            grant = params.get("grant_type")
            if grant == "authorization_code":
                owner = self.codes.pop(params.get("code", ""), None)
            elif grant == "refresh_token":
                owner = self.refresh_tokens.pop(params.get("refresh_token", ""), None)
            else:
                return Response.json({"error": "unsupported_grant_type"}, 400)
            if owner is None or owner[1] != client_id:
                return Response.json(
                    {
                        "error": "invalid_grant",
                        "error_description": "Invalid, expired, or revoked authorization code.",
                    },
                    400,
                )
            access = f"80:{secrets.token_hex(16)}"
            refresh = f"80:{secrets.token_hex(16)}"
            self.access_tokens[access] = (owner[0], owner[1], time.time() + 600)
            self.refresh_tokens[refresh] = owner
            self.issued.extend([access, refresh])
        return Response.json(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 600,
                "refresh_token": refresh,
            }
        )

    def _login(self, request: Request) -> Response:
        params = self._params(request)
        with self.lock:
            grant = self.access_tokens.get(params.get("access_token", ""))
            if grant is None or grant[2] < time.time():
                return _error(400, "Invalid or expired OAuth access token.")
            ttl_minutes = params.get("ttl")
            ttl = self.session_ttl_seconds
            if ttl_minutes and ttl_minutes.isdigit():
                ttl = min(ttl, min(int(ttl_minutes), 2880) * 60.0)
            token = secrets.token_hex(18)
            self.sessions[token] = Session(grant[0], time.time() + ttl)
            self.issued.append(token)
            self.login_count += 1
        return Response.json({"BhRestToken": token, "restUrl": self._rest_url()})

    def _rest_url(self) -> str:
        return f"{self.base_url}/rest-services/{CORP_TOKEN}/"

    @staticmethod
    def _token_of(request: Request) -> str | None:
        token = request.header("BhRestToken") or request.param("BhRestToken")
        if token:
            return token
        for part in (request.header("Cookie") or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "BhRestToken":
                return value
        return None

    def _check_session(self, request: Request) -> Response | None:
        token = self._token_of(request)
        if not token:
            return _error(412, "Missing 'BhRestToken'.")
        with self.lock:
            session = self.sessions.get(token)
            if session is None or session.expires_at < time.time():
                self.sessions.pop(token, None)
                return _error(401, "Bad 'BhRestToken' or timed-out.")
        return None

    # -- meta ------------------------------------------------------------------------------------
    def _meta(self, entity: str) -> dict[str, Any]:
        fields = []
        for name, code in ENTITIES[entity].all_fields().items():
            fields.append(_field_meta(name, code, self._rest_url()))
        return {
            "entity": entity,
            "entityMetaUrl": f"{self._rest_url()}meta/{entity}?fields=*",
            "label": entity,
            "dateLastModified": "1700000000000",
            "fields": fields,
        }

    # -- query -----------------------------------------------------------------------------------
    def _query(self, request: Request, entity: str) -> Response:
        params = {key: values[0] for key, values in request.query.items()}
        if request.method == "POST":
            try:
                body = request.json() or {}
            except ValueError:
                return _error(400, "Request body is not valid JSON")
            if isinstance(body, dict):
                params.update({key: str(value) for key, value in body.items()})
        where = params.get("where")
        if not where:
            return _error(400, "The 'where' parameter is required.")
        spec = ENTITIES[entity]
        known = spec.all_fields()
        raw_fields = params.get("fields") or "id"
        requested = list(known) if raw_fields.strip() == "*" else _split_fields(raw_fields)
        unknown = [name for name in requested if name not in known]
        if unknown:
            return _error(400, f"Invalid field '{unknown[0]}' for entity {entity}")
        order = tuple(
            name.strip().lstrip("+") for name in (params.get("orderBy") or "id").split(",")
        )
        if any(name.startswith("-") or name not in known for name in order):
            return _error(400, f"Unsupported orderBy {params.get('orderBy')!r}")
        try:
            node = parse_where(where)
            start = int(params.get("start") or 0)
            count = min(int(params.get("count") or DEFAULT_COUNT), self.max_count)
        except (WhereError, ValueError) as exc:
            return _error(400, str(exc))
        keys, rows = self.data.sorted_rows(entity, order)
        position = 0
        if order[0] in node.lower:
            position = self.data.first_at_or_after(keys, node.lower[order[0]])
        page: list[Record] = []
        skipped = 0
        for row in rows[position:]:
            if not node.test(row):
                continue
            if skipped < start:
                skipped += 1
                continue
            page.append(self.render(entity, row, requested))
            if len(page) >= count:
                break
        return Response.json({"start": start, "count": len(page), "data": page})

    def _subscription(self, request: Request, sub_id: str) -> Response:
        """`PUT/GET/DELETE event/subscription/{id}` (`_subscription.md`)."""
        subscription = self.subscriptions.get(sub_id)
        if request.method == "PUT":
            if subscription is not None:
                return _error(400, f"Subscription {sub_id} already exists.")
            names = set((request.param("names") or "").split(","))
            unknown = names - set(ENTITIES)
            if request.param("type") != "entity" or unknown or not names:
                return _error(400, f"Invalid subscription request: {sorted(unknown)}")
            types = set((request.param("eventTypes") or "INSERTED,UPDATED,DELETED").split(","))
            now = epoch_ms(utc_now())
            self.subscriptions[sub_id] = Subscription(names, types, now)
            return Response.json(
                {
                    "subscriptionId": sub_id,
                    "createdOn": now,
                    "jmsSelector": (
                        f"JMSType='ENTITY' AND BhCorpId=1 AND EntityName IN {sorted(names)}"
                    ),
                }
            )
        if subscription is None:
            return _error(404, f"Subscription {sub_id} not found.")
        if request.method == "DELETE":
            del self.subscriptions[sub_id]
            return Response.json({"result": True})
        requested = request.param("requestId")
        if requested:
            batch = subscription.batches.get(int(requested)) if requested.isdigit() else None
            if batch is None:
                return Response(status=200)
            return Response.json({"requestId": int(requested), "events": batch})
        max_events = int(request.param("maxEvents") or 100)
        if not subscription.pending:
            # The docs: an empty answer when no events are waiting.
            return Response(status=200)
        batch, subscription.pending = (
            subscription.pending[:max_events],
            subscription.pending[max_events:],
        )
        subscription.last_request_id += 1
        subscription.batches[subscription.last_request_id] = batch
        return Response.json({"requestId": subscription.last_request_id, "events": batch})

    def render(self, entity: str, row: Record, requested: list[str]) -> Record:
        """A row as the API returns it for the requested fields."""
        known = ENTITIES[entity].all_fields()
        out: Record = {}
        for name in requested:
            value = row.get(name)
            code = known[name]
            if code.startswith("=>"):
                ids = value or []
                value = {"total": len(ids), "data": [{"id": i} for i in ids[:INLINE_TO_MANY]]}
            elif isinstance(value, dict):
                value = dict(value)
            out[name] = value
        return out

    def _to_many(self, request: Request, entity: str, raw_id: str, field: str) -> Response:
        code = ENTITIES[entity].all_fields().get(field, "")
        if not code.startswith("=>"):
            return _error(400, f"{field} is not a to-many field of {entity}")
        try:
            row_id = int(raw_id)
            start = int(request.param("start") or 0)
            count = min(int(request.param("count") or DEFAULT_COUNT), self.max_count)
        except ValueError as exc:
            return _error(400, str(exc))
        row = self.data.rows(entity).get(row_id)
        if row is None:
            return _error(404, f"No {entity} with id {row_id}")
        ids = row.get(field) or []
        data = [{"id": i} for i in ids[start : start + count]]
        return Response.json({"start": start, "count": len(data), "data": data})


def _split_fields(raw: str) -> list[str]:
    """Top-level names of a fields list, dropping `(subfields)` of associations."""
    names: list[str] = []
    depth = 0
    current = ""
    for char in raw:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        elif depth == 0:
            current += char
    if current.strip():
        names.append(current.strip())
    return names


def _field_meta(name: str, code: str, rest_url: str) -> dict[str, Any]:
    label = CUSTOM_LABELS.get(name) or _label(name)
    if code == "ID":
        return {
            "name": name,
            "type": "ID",
            "dataType": "Integer",
            "optional": False,
            "label": label,
        }
    if code.startswith(("->", "=>")):
        target = code[2:]
        return {
            "name": name,
            "type": "TO_ONE" if code.startswith("->") else "TO_MANY",
            "confidential": False,
            "optional": True,
            "label": label,
            "associatedEntity": {
                "entity": target,
                "entityMetaUrl": f"{rest_url}meta/{target}?fields=*",
                "label": target,
                "fields": [{"name": "id", "type": "ID", "dataType": "Integer"}],
            },
        }
    if code == "Address":
        return {
            "name": name,
            "type": "COMPOSITE",
            "dataType": "Address",
            "confidential": False,
            "optional": True,
            "label": label,
            "fields": [
                {"name": sub, "type": "SCALAR", "dataType": sub_type, "label": _label(sub)}
                for sub, sub_type in ADDRESS_FIELDS.items()
            ],
        }
    meta: dict[str, Any] = {
        "name": name,
        "type": "SCALAR",
        "dataType": code,
        "confidential": False,
        "optional": True,
        "label": label,
    }
    if code == "Timestamp":
        meta["dataSpecialization"] = "DATETIME"
    if code == "String":
        meta["maxLength"] = 100
    return meta


def _label(name: str) -> str:
    out = ""
    for char in name:
        out += f" {char}" if char.isupper() else char
    return out[:1].upper() + out[1:]


def _error(status: int, message: str) -> Response:
    return Response.json({"errorMessage": message, "errorCode": status}, status=status)
