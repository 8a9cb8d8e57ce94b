"""Base stream: tenant URL, BhRestToken session, throttling, retries, 401/403/429 handling."""

from __future__ import annotations

import decimal
from collections.abc import Generator, Iterable
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse

import requests
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.streams import RESTStream

from tap_bullhorn.auth import BhRestTokenAuth
from tap_bullhorn.entities import timestamp_paths
from tap_bullhorn.errors import BullhornAuthError, EntityForbiddenError

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_bullhorn.auth import BullhornSession
    from tap_bullhorn.throttle import Throttle

_T = TypeVar("_T")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
RATE_LIMIT_REMAINING_HEADER = "x-ratelimit-remaining-minute"
FIRST_RETRY_WAIT_SECONDS = 1.0
MAX_RETRY_WAIT_SECONDS = 60.0


def millis_to_iso(value: Any) -> Any:
    """Epoch milliseconds to RFC 3339 (UTC, millisecond precision); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
        return value
    moment = EPOCH + timedelta(milliseconds=int(value))
    return moment.isoformat(timespec="milliseconds")


class BullhornStream(RESTStream[_T]):
    """Common behaviour of every Bullhorn REST stream."""

    records_jsonpath = "$.data[*]"
    # Rows are read with exactly the schema's fields and timestamps are converted by the
    # stream: per-value conformance only cost CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    # The tap wires these in before syncing (one session and one throttle per run).
    entity_name: str = ""

    @property
    def bullhorn(self) -> BullhornSession:
        """The run's shared REST session."""
        session: BullhornSession = self._tap.bullhorn_session  # type: ignore[attr-defined]
        return session

    @property
    def throttle(self) -> Throttle:
        """The run's shared request pacer."""
        throttle: Throttle = self._tap.throttle  # type: ignore[attr-defined]
        return throttle

    @property
    def url_base(self) -> str:
        """The tenant `restUrl` returned by the REST login."""
        return self.bullhorn.rest_url.rstrip("/")

    @property
    def authenticator(self) -> BhRestTokenAuth:
        """Adds the BhRestToken header (never a query parameter)."""
        return BhRestTokenAuth(self.bullhorn)

    # -- request sending ----------------------------------------------------------------------
    def _request(
        self,
        prepared_request: requests.PreparedRequest,
        context: Context | None,  # noqa: ARG002
    ) -> requests.Response:
        """Throttle, send with the current session; on 401 log in again once and resend."""
        response, generation = self._send(prepared_request)
        if response.status_code == HTTPStatus.UNAUTHORIZED:
            self.bullhorn.relogin(generation)
            response, _ = self._send(prepared_request)
            if response.status_code == HTTPStatus.UNAUTHORIZED:
                raise BullhornAuthError(
                    f"Bullhorn rejected a fresh session for {self.entity_name or self.name} "
                    "(401 after a new login); check the API user's access."
                )
        self.validate_response(response)
        return response

    def _send(self, prepared: requests.PreparedRequest) -> tuple[requests.Response, int]:
        token, generation = self.bullhorn.current()
        prepared.headers["BhRestToken"] = token
        ticket = self.throttle.wait()
        try:
            response = self.requests_session.send(
                prepared, timeout=self.timeout, allow_redirects=self.allow_redirects
            )
        except BaseException:
            self.throttle.observe(None, ticket)  # no answer: the call is no longer in flight
            raise
        self.throttle.observe(response.headers.get(RATE_LIMIT_REMAINING_HEADER), ticket)
        return response, generation

    def validate_response(self, response: requests.Response) -> None:
        """403 skips the entity; 429 and 5xx retry; other 4xx are fatal with the API's message."""
        status = response.status_code
        if status == HTTPStatus.FORBIDDEN:
            raise EntityForbiddenError(
                f"403 for entity {self.entity_name}: {_api_message(response)}"
            )
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(self.response_error_message(response))

    def response_error_message(self, response: requests.Response) -> str:
        """Status, path and the API's message; never query strings or headers."""
        path = urlparse(response.url).path
        return f"{response.status_code} {response.reason} for {path}: {_api_message(response)}"

    # -- retries --------------------------------------------------------------------------------
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Retry-After when the server sends it, else 1 s doubling up to a minute."""
        exception = yield  # type: ignore[misc]
        wait = FIRST_RETRY_WAIT_SECONDS
        while True:
            response = getattr(exception, "response", None)
            retry_after = response.headers.get("Retry-After") if response is not None else None
            try:
                value = float(retry_after) if retry_after is not None else None
            except ValueError:
                value = None
            if value is None:
                value, wait = wait, min(wait * 2, MAX_RETRY_WAIT_SECONDS)
            exception = yield value

    def backoff_max_tries(self) -> int:
        """Bullhorn asks clients to keep retrying 429s; allow a generous number of tries."""
        return int(self.config.get("max_retries") or 8)

    def backoff_jitter(self, value: float) -> float:
        """No jitter: waits honour Retry-After exactly."""
        return value

    # -- records --------------------------------------------------------------------------------
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Records of the stream; a 403 skips the entity with a warning."""
        try:
            yield from super().get_records(context)
        except EntityForbiddenError as exc:
            self.logger.warning(
                "Skipping stream %s: the API user has no access to entity %s (%s).",
                self.name,
                self.entity_name,
                exc,
            )

    @property
    def timestamp_paths(self) -> list[tuple[str, ...]]:
        """Date-time properties of the schema (cached)."""
        cached: list[tuple[str, ...]] | None = getattr(self, "_timestamp_paths", None)
        if cached is None:
            cached = timestamp_paths(self.schema)
            self._timestamp_paths = cached
        return cached

    def convert_timestamps(self, row: dict[str, Any]) -> dict[str, Any]:
        """Epoch-millisecond fields to RFC 3339 strings, in place."""
        for path in self.timestamp_paths:
            holder: Any = row
            for key in path[:-1]:
                holder = holder.get(key) if isinstance(holder, dict) else None
            if isinstance(holder, dict) and path[-1] in holder:
                holder[path[-1]] = millis_to_iso(holder[path[-1]])
        return row


def _api_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    if isinstance(body, dict):
        return str(body.get("errorMessage") or body.get("message") or body.get("error") or "")
    return ""
