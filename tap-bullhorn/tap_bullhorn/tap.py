"""tap-bullhorn: the Tap class, its settings and the stream catalog."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from functools import cached_property
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_bullhorn import schemas
from tap_bullhorn.auth import DEFAULT_LOGIN_INFO_URL, MAX_TTL_MINUTES, BullhornSession
from tap_bullhorn.client import RATE_LIMIT_REMAINING_HEADER
from tap_bullhorn.entities import (
    ASSOCIATIONS,
    ENTITIES,
    ENTITY_NAMES,
    association_schema,
    schema_from_meta,
    snake,
)
from tap_bullhorn.errors import BullhornAuthError, BullhornError
from tap_bullhorn.output import StateFlushingWriter
from tap_bullhorn.streams import (
    DEFAULT_PARALLEL_REQUESTS,
    DELETED_RECORDS_SCHEMA,
    MAX_PARALLEL_REQUESTS,
    DeletedRecordsStream,
    entity_stream_class,
    link_stream_class,
)
from tap_bullhorn.throttle import Throttle

if TYPE_CHECKING:
    import click

PUBLISHED_LIMIT_PER_MINUTE = 1500
META_TIMEOUT_SECONDS = 120
META_MAX_BACKOFF_SECONDS = 30.0


class TapBullhorn(Tap):
    """Singer tap for Bullhorn ATS/CRM (REST API, partner OAuth login)."""

    name = "tap-bullhorn"
    message_writer_class = StateFlushingWriter
    package_name = "recruiting-tap-bullhorn"
    dynamic_catalog = True

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            secret=True,
            title="Client ID",
            description="OAuth client id of the Bullhorn API key (from Bullhorn Support).",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client Secret",
            description="OAuth client secret of the Bullhorn API key.",
        ),
        th.Property(
            "username",
            th.StringType,
            required=True,
            title="API Username",
            description="Bullhorn API user the client id is tied to.",
        ),
        th.Property(
            "password",
            th.StringType,
            required=True,
            secret=True,
            title="API Password",
            description="Password of the API user.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh Token",
            description=(
                "Optional refresh token used for the first login of a run. Bullhorn refresh "
                "tokens are single-use; the tap falls back to the username/password login."
            ),
        ),
        th.Property(
            "login_info_url",
            th.StringType,
            default=DEFAULT_LOGIN_INFO_URL,
            title="loginInfo URL",
            description="Data-centre discovery endpoint (override for tests or a fixed cluster).",
        ),
        th.Property(
            "session_ttl_minutes",
            th.IntegerType,
            default=MAX_TTL_MINUTES,
            title="Session TTL (minutes)",
            description="Requested BhRestToken lifetime; Bullhorn caps it at 2880.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Earliest dateLastModified/dateAdded to extract (RFC 3339).",
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType,
            default=5,
            title="Lookback (minutes)",
            description="Re-read this many minutes before the bookmark for late commits.",
        ),
        th.Property(
            "entities",
            th.ArrayType(th.StringType),
            title="Entities",
            description="Bullhorn entity names to extract (default: all supported).",
        ),
        th.Property(
            "exclude_fields",
            th.ArrayType(th.StringType),
            title="Excluded Fields",
            description="Fields to leave out: `Entity.field`, or `field` for every entity.",
        ),
        th.Property(
            "event_subscription_id",
            th.StringType,
            title="Event Subscription ID",
            description=(
                "Turns on the deleted_records stream: the tap creates this entity event "
                "subscription on its first run and reads DELETED events from it afterwards."
            ),
        ),
        th.Property(
            "max_requests_per_minute",
            th.IntegerType,
            default=PUBLISHED_LIMIT_PER_MINUTE,
            title="Max Requests per Minute",
            description=(
                "Client-side cap per rate-limit window; Bullhorn's published limit is 1500 "
                "calls per minute. Lower it to leave room for other integrations."
            ),
        ),
        th.Property(
            "rate_limit_window_seconds",
            th.NumberType(minimum=1),
            default=60,
            title="Rate-Limit Window (seconds)",
            description="Span the request cap applies to (Bullhorn meters per minute).",
        ),
        th.Property(
            "page_size",
            th.IntegerType,
            default=500,
            title="Page Size",
            description="Rows per /query page (`count`, at most 500).",
        ),
        th.Property(
            "parallel_requests",
            th.IntegerType,
            default=DEFAULT_PARALLEL_REQUESTS,
            title="Parallel Requests",
            description=(
                "Time ranges of one entity read side by side once its first page is full "
                "(1 to 16). Rows are still emitted in (cursor, id) order and every request "
                "waits for the shared pacer. 1 reads one page at a time."
            ),
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=8,
            title="Max Tries",
            description="Attempts per request on 429, 5xx and connection errors.",
        ),
        th.Property(
            "user_agent",
            th.StringType,
            title="User Agent",
            description="User-Agent header sent with every request.",
        ),
    ).to_dict()

    # -- shared run objects ---------------------------------------------------------------------
    @cached_property
    def bullhorn_session(self) -> BullhornSession:
        """One REST session for every stream of this run."""
        return BullhornSession(self.config, self.logger)

    @cached_property
    def throttle(self) -> Throttle:
        """One pacer for every request of this run."""
        limit = int(self.config.get("max_requests_per_minute") or PUBLISHED_LIMIT_PER_MINUTE)
        window = float(self.config.get("rate_limit_window_seconds") or 60)
        return Throttle(limit, window)

    # -- config -----------------------------------------------------------------------------------
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """JSON-schema validation plus the checks jsonschema does not do (formats, names)."""
        errors = super()._validate_config(raise_errors=raise_errors)
        extra = _semantic_errors(self.config)
        if extra and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=extra, schema=self.config_jsonschema
            )
        return errors + extra

    # -- catalog ----------------------------------------------------------------------------------
    def discover_streams(self) -> list[Stream]:
        """Entity streams (schemas from /meta when credentials are set) and link streams."""
        wanted = set(self.config.get("entities") or ENTITY_NAMES)
        excluded = [str(item) for item in self.config.get("exclude_fields") or []]
        online = all(self.config.get(key) for key in ("client_id", "username", "password"))
        streams: list[Stream] = []
        for entity in ENTITIES:
            if entity.name not in wanted:
                continue
            exclude = {
                item.split(".", 1)[1] if "." in item else item
                for item in excluded
                if "." not in item or item.split(".", 1)[0] == entity.name
            }
            exclude.discard("id")
            if entity.cursor:
                exclude.discard(entity.cursor)
            associations = tuple(a for a in ASSOCIATIONS if a.entity == entity.name)
            schema = self._entity_schema(entity.name, exclude, online=online)
            streams.append(entity_stream_class(entity)(tap=self, schema=schema))
            for association in associations:
                link_class = link_stream_class(association, entity)
                link_schema = association_schema(association, entity.cursor)
                streams.append(link_class(tap=self, schema=link_schema))
        if self.config.get("event_subscription_id"):
            streams.append(DeletedRecordsStream(tap=self, schema=DELETED_RECORDS_SCHEMA))
        return streams

    def _entity_schema(self, entity: str, exclude: set[str], *, online: bool) -> dict[str, Any]:
        meta = self._fetch_meta(entity) if online else None
        if meta is not None:
            return schema_from_meta(meta, exclude)
        packaged = resources.files(schemas).joinpath(f"{snake(entity)}.json")
        schema: dict[str, Any] = json.loads(packaged.read_text(encoding="utf-8"))
        for name in exclude:
            schema["properties"].pop(name, None)
        return schema

    def _fetch_meta(self, entity: str) -> dict[str, Any] | None:
        """`GET meta/{Entity}?fields=*&meta=full`; None (offline schema) when not allowed.

        Connection errors, 429 and 5xx are retried with backoff (the schema must not
        silently lose the tenant's custom fields because of one flaky answer).
        """
        session = self.bullhorn_session
        relogged = False
        attempts = int(self.config.get("max_retries") or 8)
        for attempt in range(attempts):
            token, generation = session.current()
            ticket = self.throttle.wait()
            try:
                response = requests.get(
                    f"{session.rest_url}meta/{entity}",
                    params={"fields": "*", "meta": "full"},
                    headers={"BhRestToken": token},
                    timeout=META_TIMEOUT_SECONDS,
                )
            except requests.RequestException as exc:
                self.throttle.observe(None, ticket)
                failure = type(exc).__name__
            else:
                self.throttle.observe(response.headers.get(RATE_LIMIT_REMAINING_HEADER), ticket)
                if response.status_code == 401 and not relogged:
                    session.relogin(generation)
                    relogged = True
                    continue
                if response.status_code == 401:
                    msg = f"Bullhorn rejected a fresh session while reading meta/{entity}."
                    raise BullhornAuthError(msg)
                if response.status_code == 403:
                    self.logger.warning(
                        "No access to meta for entity %s; using the packaged schema.", entity
                    )
                    return None
                if response.status_code == 200:
                    body: dict[str, Any] = response.json()
                    return body
                if response.status_code != 429 and response.status_code < 500:
                    self.logger.warning(
                        "meta/%s answered %s; using the packaged schema.",
                        entity,
                        response.status_code,
                    )
                    return None
                failure = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(int(retry_after))
                    continue
            if attempt < attempts - 1:
                wait = min(META_MAX_BACKOFF_SECONDS, 2.0**attempt)
                self.logger.warning("Retrying meta/%s in %.0f s after %s", entity, wait, failure)
                time.sleep(wait)
        msg = f"Cannot read Bullhorn meta for {entity} after {attempts} attempts: {failure}"
        raise BullhornError(msg)

    # -- CLI --------------------------------------------------------------------------------------
    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """`--discover` (Meltano runs it before every sync) ends in one clear line too."""
        try:
            super().cb_discover(ctx, param, value)
        except BullhornError as exc:
            cls.logger.error("%s", exc)
            ctx.exit(1)

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the CLI; known failures end with one clear line instead of a traceback."""
        try:
            super().invoke(*args, **kwargs)
        except BullhornError as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except RetriableAPIError as exc:
            cls.logger.error("Bullhorn kept failing after every retry: %s", exc)
            sys.exit(1)
        except FatalAPIError as exc:
            cls.logger.error("Bullhorn API error: %s", exc)
            sys.exit(1)


def _semantic_errors(config: Any) -> list[str]:
    errors: list[str] = []
    start = config.get("start_date")
    if start:
        try:
            datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        except ValueError:
            errors.append(f"start_date {start!r} is not an RFC 3339 date-time")
    url = config.get("login_info_url")
    if url and urlparse(str(url)).scheme not in {"http", "https"}:
        errors.append(f"login_info_url {url!r} is not an http(s) URL")
    unknown = sorted(set(config.get("entities") or []) - set(ENTITY_NAMES))
    if unknown:
        errors.append(
            f"entities: unknown Bullhorn entities {unknown}; supported: {', '.join(ENTITY_NAMES)}"
        )
    parallel = config.get("parallel_requests")
    if parallel is not None and not 1 <= int(parallel) <= MAX_PARALLEL_REQUESTS:
        errors.append(f"parallel_requests must be between 1 and {MAX_PARALLEL_REQUESTS}")
    for key in ("max_requests_per_minute", "page_size", "session_ttl_minutes"):
        value = config.get(key)
        if value is not None and int(value) < 1:
            errors.append(f"{key} must be at least 1")
    if config.get("lookback_minutes") is not None and int(config["lookback_minutes"]) < 0:
        errors.append("lookback_minutes must not be negative")
    return errors
