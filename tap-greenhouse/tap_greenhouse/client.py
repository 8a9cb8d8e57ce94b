"""Base stream for Harvest v3 list endpoints: auth, paging, filters, errors, backoff."""

from __future__ import annotations

import email.utils
import queue
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import cached_property
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import ParseResult

import msgspec
from singer_sdk import RESTStream
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import HeaderLinkPaginator
from singer_sdk.schema.source import SchemaDirectory, StreamSchema
from singer_sdk.singerlib.catalog import SelectionMask
from singer_sdk.streams.rest import PageContext

from tap_greenhouse import schemas
from tap_greenhouse.errors import GreenhouseError, StreamForbiddenError

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    import requests
    from backoff.types import Details
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest

    from tap_greenhouse.auth import GreenhouseAuthenticator
    from tap_greenhouse.tap import TapGreenhouse

SCHEMAS_DIR = SchemaDirectory(schemas)
MAX_BACKOFF_SECONDS = 60.0
# Pages fetched ahead of the page being emitted. The next link is known as soon as a page
# arrives, so one request can be on the wire while the previous page's rows are written.
PAGES_AHEAD = 2
END_OF_PAGES = object()


class RememberingSelectionMask(SelectionMask):
    """A selection mask that keeps what a breadcrumb inherits from its parent.

    Nested record keys have no metadata of their own, so the SDK's mask walks up to the
    parent for every one of them on every record.
    """

    def __missing__(self, breadcrumb: tuple[str, ...]) -> bool:
        selected = super().__missing__(breadcrumb)
        self[breadcrumb] = selected
        return selected


class GreenhouseStream(RESTStream[ParseResult]):
    """One Harvest v3 list endpoint (`GET /v3/<name>`), read newest id first."""

    schema = StreamSchema(SCHEMAS_DIR)
    primary_keys: ClassVar[list[str]] = ["id"]
    records_jsonpath = "$[*]"
    # Harvest answers in JSON types already and the schemas allow extra keys: per-value
    # conformance changed nothing and cost a third of the tap's CPU.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    # Harvest sorts by id, not by the filter field: bookmarks settle at stream end.
    is_sorted = False
    # Fixed filters some resources need to return every row.
    extra_params: ClassVar[dict[str, str]] = {}
    # Whether the endpoint accepts the pipe-form filter on `replication_key`.
    _LOG_REQUEST_METRIC_URLS = False
    # The SDK's mask and our remembering copy of it.
    _remembered_mask: tuple[SelectionMask, RememberingSelectionMask] | None = None

    @property
    def mask(self) -> SelectionMask:
        """The SDK's selection, with inherited breadcrumbs remembered (same answers)."""
        resolved = super().mask
        if self._remembered_mask is None or self._remembered_mask[0] is not resolved:
            self._remembered_mask = (resolved, RememberingSelectionMask(resolved))
        return self._remembered_mask[1]

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterable[Context | None]:
        """No Harvest stream has child streams: nothing to derive per record."""
        if self.child_streams:
            yield from super().generate_child_contexts(record, context)

    @property
    def greenhouse_tap(self) -> TapGreenhouse:
        """The tap that owns the shared authenticator and session."""
        return self._tap  # type: ignore[return-value]

    @property
    def url_base(self) -> str:
        """`api_url` from the settings, e.g. https://harvest.greenhouse.io/v3."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    def path(self) -> str:  # type: ignore[override]
        """The resource path, named as the stream."""
        return f"/{self.name}"

    @property
    def scope(self) -> str:
        """The OAuth scope Greenhouse requires for this list endpoint."""
        return f"harvest:{self.name}:list"

    @property
    def authenticator(self) -> GreenhouseAuthenticator:
        """The tap-wide authenticator (one token for every stream)."""
        return self.greenhouse_tap.greenhouse_authenticator

    @property
    def requests_session(self) -> requests.Session:
        """The tap-wide session: shared connections and one rate-limit gate."""
        return self.greenhouse_tap.throttled_session

    @property
    def http_headers(self) -> dict[str, str]:
        """Ask for JSON explicitly."""
        return {"Accept": "application/json", "User-Agent": self.user_agent}

    def get_new_paginator(self) -> HeaderLinkPaginator:
        """Follow `Link: <...>; rel="next"` until Greenhouse sends none."""
        return HeaderLinkPaginator()

    @cached_property
    def _window_end(self) -> datetime:
        # Upper bound of the incremental window: rows changed after the sync began are
        # left for the next run, so a bookmark can never skip them.
        signpost = self.get_replication_key_signpost(None)
        if isinstance(signpost, datetime):
            return signpost
        return datetime.now(timezone.utc)

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """First page: filters and `per_page`; later pages: the `next` link alone."""
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            # A cursor request must carry no other query parameter.
            request.url = page.next_page_token.geturl()
            request.params = {}
            return request
        params: dict[str, Any] = {"per_page": self.config["page_size"], **self.extra_params}
        if self.replication_key:
            start = self.get_starting_timestamp(page.stream_context)
            params[self.replication_key] = self._date_window(start)
        request.params = params
        return request

    def _date_window(self, start: datetime | None) -> str:
        end = _rfc3339(self._window_end)
        if start is None:
            return f"lte|{end}"
        lookback = timedelta(minutes=int(self.config["lookback_minutes"]))
        begin = _rfc3339(start - lookback)
        return f"gte|{begin}|lte|{end}"

    # -- reading ahead ---------------------------------------------------------------------
    def request_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Rows of every page, in order; a worker follows the `next` links ahead of us.

        Requests stay one at a time (the worker sends the next only after the previous
        answered), so pacing is unchanged; only emitting overlaps with waiting.
        """
        pages: queue.Queue[Any] = queue.Queue(PAGES_AHEAD)
        stop = threading.Event()
        worker = threading.Thread(
            target=self._fetch_pages, args=(context, pages, stop), name=f"{self.name}-pages"
        )
        with self.get_http_request_counter() as counter:
            counter.with_context(context)
            worker.start()
            try:
                while (response := pages.get()) is not END_OF_PAGES:
                    if isinstance(response, BaseException):
                        raise response
                    counter.increment()
                    yield from self.parse_response(response)
            finally:
                stop.set()
                worker.join()

    def _fetch_pages(
        self, context: Context | None, pages: queue.Queue[Any], stop: threading.Event
    ) -> None:
        """Worker: send each page's request (with retries) and queue the answers in order."""
        outcome: Any = END_OF_PAGES
        try:
            paginator = self.get_new_paginator()
            send = self.request_decorator(self._request)
            while not paginator.finished and not stop.is_set():
                response = send(self._page_request(context, paginator.current_value), context)
                if not _offer(pages, response, stop):
                    return
                paginator.advance(response)
        except BaseException as exc:  # noqa: BLE001 - handed to the emitting thread
            outcome = exc
        _offer(pages, outcome, stop)

    def _page_request(
        self, context: Context | None, token: ParseResult | None
    ) -> requests.PreparedRequest:
        """The prepared request for one page, built by `get_http_request`."""
        http_request = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=token)
        )
        return self.build_prepared_request(
            method=http_request.method,
            url=http_request.url,
            params=http_request.encode_params(),
            headers=http_request.headers,
        )

    # -- responses and errors ------------------------------------------------------------
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Rows of a page: Harvest v3 answers a bare JSON array (msgspec decodes it fast)."""
        try:
            rows = msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            msg = f"Greenhouse answered `{self.name}` with a body that is not JSON"
            raise GreenhouseError(msg) from exc
        if not isinstance(rows, list):
            msg = f"Greenhouse answered `{self.name}` with {type(rows).__name__}, not a list"
            raise GreenhouseError(msg)
        yield from rows

    def validate_response(self, response: requests.Response) -> None:
        """Classify Harvest answers: retry 429/5xx/expired tokens, explain the rest."""
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            self.authenticator.note_success()
            return
        if status == HTTPStatus.UNAUTHORIZED:
            self.authenticator.reject(response.request.headers.get("Authorization"))
            msg = "401 Unauthorized: access token expired or revoked; fetching a new one"
            raise RetriableAPIError(msg, response)
        if status == HTTPStatus.FORBIDDEN:
            msg = (
                f"Greenhouse answered 403 Forbidden for `{self.name}`: the credential lacks "
                f"the `{self.scope}` scope or `user_id` is not a Site Admin."
            )
            raise StreamForbiddenError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        raise GreenhouseError(self.response_error_message(response))

    def response_error_message(self, response: requests.Response) -> str:
        """Status, resource and Greenhouse's own message; never headers or query values."""
        detail = ""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            parts = [str(body.get("message", ""))]
            parts.extend(str(error) for error in body.get("errors") or [])
            detail = ": " + "; ".join(part for part in parts if part)
        return f"{response.status_code} {response.reason} from Greenhouse `{self.name}`{detail}"

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Retry-After (or the window reset) for 429; at once for 401; else exponential."""
        attempt = 0
        exception = yield 0.0
        while True:
            attempt += 1
            exception = yield _wait_for(exception, attempt)

    def backoff_handler(self, details: Details) -> None:
        """A retry is expected behaviour, not an error: log it as a warning."""
        exception = details.get("exception")
        response = getattr(exception, "response", None)
        reason = (
            f"HTTP {response.status_code}" if response is not None else type(exception).__name__
        )
        self.logger.warning(
            "Retrying %s in %.1f s (attempt %d) after %s",
            self.name,
            details.get("wait", 0.0),
            details.get("tries", 0),
            reason,
        )

    def backoff_max_tries(self) -> int:
        """Enough tries to outlast a throttling burst or a short outage."""
        return 8

    # -- skipping forbidden resources ------------------------------------------------------
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Read every page; a 403 before any row skips the stream with a warning."""
        emitted = 0
        try:
            for record in super().get_records(context):
                emitted += 1
                yield record
        except StreamForbiddenError as exc:
            if emitted or not self.config.get("skip_forbidden_streams", True):
                raise
            self.logger.warning("Skipping stream %s. %s", self.name, exc)


def _offer(pages: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Queue `item` once there is room; False when the emitter has stopped reading."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.2)
        except queue.Full:
            continue
        return True
    return False


def _rfc3339(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _wait_for(exception: Any, attempt: int) -> float:
    response = getattr(exception, "response", None)
    if response is not None and response.status_code == HTTPStatus.UNAUTHORIZED:
        return 0.0
    if response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            return retry_after
    return min(MAX_BACKOFF_SECONDS, float(2**attempt))


def _retry_after_seconds(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(header)
            return max(0.0, parsed.timestamp() - time.time())
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            return None
    return None
