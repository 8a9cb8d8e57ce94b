"""Entity streams read from `/query/{Entity}`, and to-many link streams."""

from __future__ import annotations

import decimal
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from singer_sdk.exceptions import FatalAPIError, InvalidStreamSortException
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.streams.rest import PageContext

from tap_bullhorn.client import EPOCH, BullhornStream
from tap_bullhorn.entities import ENTITY_NAMES, HARD_DELETE_ENTITIES, Association, Entity
from tap_bullhorn.errors import BullhornError
from tap_bullhorn.pagination import KeysetPaginator, KeysetToken, PageSummary, RangeToken

if TYPE_CHECKING:
    import requests
    from singer_sdk import metrics
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest

    Send = Callable[[requests.PreparedRequest, Context | None], requests.Response]

MAX_COUNT = 500
# Time ranges of one entity read side by side: four hide most of the latency; more
# would only queue at the pacer.
DEFAULT_PARALLEL_REQUESTS = 4
MAX_PARALLEL_REQUESTS = 16
# Decoded pages a range reader may hold before the emitter catches up (bounds memory).
PAGES_BUFFERED_PER_RANGE = 2
# Parents held back per worker while their to-many links are fetched (bounds memory).
LINK_FETCHES_AHEAD_PER_WORKER = 4
# Bullhorn documents POST /query for where clauses longer than this.
POST_QUERY_THRESHOLD = 7500


def to_millis(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(milliseconds=1)


class EntityStream(BullhornStream[KeysetToken | RangeToken | None]):
    """One Bullhorn entity, paged by keyset on (cursor, id) or on id alone."""

    entity: ClassVar[Entity]
    # The lookback window re-reads rows older than the bookmark, which the SDK's check would
    # reject; `parse_response` checks the (cursor, id) order of the pages itself instead.
    check_sorted = False
    primary_keys: ClassVar[list[str]] = ["id"]
    post_query_threshold = POST_QUERY_THRESHOLD

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page = PageSummary(0, None)
        self._last_key: tuple[Any, int] | None = None

    @property
    def path(self) -> str:  # type: ignore[override]
        """`query/{Entity}`."""
        return f"/query/{self.entity.name}"

    @property
    def page_size(self) -> int:
        """Rows asked for per page (`count`, at most 500)."""
        return max(1, min(int(self.config.get("page_size") or MAX_COUNT), MAX_COUNT))

    def get_new_paginator(self) -> BaseAPIPaginator[Any]:
        """Keyset paginator fed by the page the stream just parsed."""
        self._page = PageSummary(0, None)
        self._last_key = None
        return KeysetPaginator(self.page_size, lambda: self._page)

    def start_millis(self, context: Context | None) -> int:
        """Lower bound of the cursor: bookmark or start_date, minus the lookback window."""
        start = self.get_starting_timestamp(context)
        if start is None:
            return 0
        lookback = int(self.config.get("lookback_minutes", 5) or 0)
        return max(0, to_millis(start) - lookback * 60_000)

    def where_clause(self, context: Context | None, token: KeysetToken | RangeToken | None) -> str:
        """The keyset where clause for a page."""
        cursor = self.entity.cursor
        if isinstance(token, RangeToken):
            return self.range_where(token)
        if cursor is None:
            return f"id>{token.last_id}" if token else "id>=0"
        if token is None:
            return f"{cursor}>={self.start_millis(context)}"
        if token.cursor is None:
            return f"{cursor} IS NULL AND id>{token.last_id}"
        return f"{cursor}>{token.cursor} OR ({cursor}={token.cursor} AND id>{token.last_id})"

    def range_where(self, token: RangeToken) -> str:
        """Keyset paging inside one time range `[lower, upper)` (upper open for the last)."""
        cursor = self.entity.cursor
        after = token.after
        if after is None:
            where = f"{cursor}>={token.lower}"
        else:
            where = f"({cursor}>{after.cursor} OR ({cursor}={after.cursor} AND id>{after.last_id}))"
        if token.upper is not None:
            where += f" AND {cursor}<{token.upper}"
        return where

    def requested_fields(self) -> list[str]:
        """Selected top-level properties (custom and to-many fields included).

        Deselected fields are not asked for: Bullhorn sends less and the `fields` list stays
        short. `id` and the cursor are always asked for, since keyset paging needs them.
        """
        always = {"id", self.entity.cursor}
        return [
            name
            for name in self.schema.get("properties", {})
            if name in always or self.mask[("properties", name)]
        ]

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """GET `/query` with where/fields/orderBy/count; POST with a JSON where when long."""
        request = super().get_http_request(page=page)
        cursor = self.entity.cursor
        where = self.where_clause(page.stream_context, page.next_page_token)
        request.params = {
            "fields": ",".join(self.requested_fields()),
            "orderBy": f"{cursor},id" if cursor else "id",
            "count": self.page_size,
        }
        if len(where) > self.post_query_threshold:
            request.method = "POST"
            request.data = {"where": where}
        else:
            request.params["where"] = where
        return request

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Rows of the page; remembers the last (cursor, id) for the paginator."""
        return self.checked_rows(page_rows(response))

    def checked_rows(self, rows: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Rows of a decoded page, checked to follow the previous page in (cursor, id) order."""
        last = None
        if rows:
            cursor = self.entity.cursor
            previous = self._last_key
            for row in rows:
                key = (row.get(cursor) or 0 if cursor else 0, int(row["id"]))
                if previous is not None and key <= previous:
                    msg = (
                        f"{self.entity.name} rows out of (cursor, id) order: {key} after {previous}"
                    )
                    raise InvalidStreamSortException(msg)
                previous = key
            self._last_key = previous
            tail = rows[-1]
            last = KeysetToken(tail.get(cursor) if cursor else None, int(tail["id"]))
        self._page = PageSummary(len(rows), last)
        yield from rows

    # -- reading time ranges side by side ------------------------------------------------------
    @property
    def parallel_requests(self) -> int:
        """How many requests of this stream may be in flight at once."""
        return int(self.config.get("parallel_requests") or DEFAULT_PARALLEL_REQUESTS)

    @property
    def ranges_at_once(self) -> int:
        """How many time ranges are read side by side."""
        return self.parallel_requests

    def request_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The first page alone; when it is full, the rest as time ranges read side by side.

        The span from the first page's last row to the sync's start is cut into equal time
        ranges (the last one open-ended, for rows changed while the tap reads). Each range
        is paged by keyset in its own thread; rows are emitted range after range, so the
        (cursor, id) order, the bookmark and resuming are as with one request at a time.
        """
        workers = self.ranges_at_once
        if self.entity.cursor is None or workers <= 1:
            yield from super().request_records(context)
            return
        self._page = PageSummary(0, None)
        self._last_key = None
        send: Send = self.request_decorator(self._request)
        sync_started = to_millis(datetime.now(timezone.utc))
        with self.get_http_request_counter() as counter:
            counter.with_context(context)
            yield from self.checked_rows(self.rows_at(context, None, send))
            counter.increment()
            full_page = self._page.count
            if 0 < full_page < self.page_size:
                # Short first page: the end, or a server that caps pages below `count`.
                yield from self.checked_rows(self.rows_at(context, self._page.last, send))
                counter.increment()
                if self._page.count < full_page:
                    return
            after = self._page.last
            if full_page == 0 or after is None:
                return
            ranges = split_ranges(after, sync_started, workers)
            yield from self._read_ranges(context, ranges, full_page, send, counter)

    def rows_at(
        self, context: Context | None, token: KeysetToken | RangeToken | None, send: Send
    ) -> list[dict[str, Any]]:
        """Send the request for one page (with retries) and decode its rows."""
        return page_rows(send(self.request_at(context, token), context))

    def request_at(
        self, context: Context | None, token: KeysetToken | RangeToken | None
    ) -> requests.PreparedRequest:
        """The prepared `/query` request for one page, built by `get_http_request`."""
        http_request = self.get_http_request(
            page=PageContext(stream_context=context, next_page_token=token)
        )
        return self.build_prepared_request(
            method=http_request.method,
            url=http_request.url,
            params=http_request.encode_params(),
            headers=http_request.headers,
            json=http_request.data,
        )

    def _read_ranges(
        self,
        context: Context | None,
        ranges: list[RangeToken],
        full_page: int,
        send: Send,
        counter: metrics.Counter,
    ) -> Iterable[dict[str, Any]]:
        stop = threading.Event()
        queues = [queue.Queue[Any](PAGES_BUFFERED_PER_RANGE) for _ in ranges]
        with ThreadPoolExecutor(len(ranges), thread_name_prefix=self.name) as pool:
            for token, pages in zip(ranges, queues, strict=True):
                pool.submit(self._read_range, context, token, full_page, send, pages, stop)
            try:
                for pages in queues:
                    while (page := pages.get()) is not END_OF_RANGE:
                        if isinstance(page, BaseException):
                            raise page
                        counter.increment()
                        yield from self.checked_rows(page)
            finally:
                stop.set()

    def _read_range(
        self,
        context: Context | None,
        token: RangeToken,
        full_page: int,
        send: Send,
        pages: queue.Queue[Any],
        stop: threading.Event,
    ) -> None:
        """Worker: page one range by keyset into `pages`, then END_OF_RANGE (or the error)."""
        cursor = str(self.entity.cursor)
        outcome: Any = END_OF_RANGE
        try:
            while not stop.is_set():
                rows = self.rows_at(context, token, send)
                if not _offer(pages, rows, stop):
                    return
                # Pages of `full_page` rows came back before, so a shorter one is the last.
                if len(rows) < full_page:
                    break
                tail = rows[-1]
                token = replace(token, after=KeysetToken(tail.get(cursor), int(tail["id"])))
        except Exception as exc:  # noqa: BLE001 - handed to the emitting thread, raised there
            outcome = exc
        _offer(pages, outcome, stop)

    def post_process(
        self,
        row: dict[str, Any],
        context: Context | None = None,  # noqa: ARG002
    ) -> dict[str, Any]:
        """Timestamps to RFC 3339; soft-deleted rows are kept."""
        return self.convert_timestamps(row)


class LinkStream(EntityStream):
    """Every link of one to-many field, complete even when the inline value is truncated.

    Reads the parent entity's (id, cursor, field) with the same keyset paging, so the link
    stream has its own incremental bookmark; a parent whose inline `{total, data}` was cut
    short is completed from `entity/{Entity}/{id}/{field}`.
    """

    association: ClassVar[Association]

    @property
    def ranges_at_once(self) -> int:
        """One: a page of parents is cheap; the parallel calls complete truncated links."""
        return 1

    def requested_fields(self) -> list[str]:
        """Parent id, cursor and the to-many field."""
        return ["id", self.entity.cursor or "id", self.association.field]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One link row per (parent, associated id), parents in the order they were read.

        Truncated parents are completed by up to `parallel_requests` calls at once while
        the links of the parents before them are emitted.
        """
        ahead: deque[tuple[dict[str, Any], Future[list[Any]] | list[Any]]] = deque()
        window = LINK_FETCHES_AHEAD_PER_WORKER * self.parallel_requests
        with ThreadPoolExecutor(self.parallel_requests, thread_name_prefix=self.name) as pool:
            for parent in super().get_records(context):
                inline = parent.get(self.association.field) or {}
                data = inline.get("data") or []
                if len(data) >= int(inline.get("total") or 0):
                    ahead.append((parent, [item.get("id") for item in data]))
                else:
                    ahead.append((parent, pool.submit(self.fetch_all, int(parent["id"]))))
                while len(ahead) > window:
                    yield from self.links(*ahead.popleft())
            while ahead:
                yield from self.links(*ahead.popleft())

    def links(
        self, parent: dict[str, Any], ids: Future[list[Any]] | list[Any]
    ) -> Iterable[dict[str, Any]]:
        """The link rows of one parent."""
        cursor = self.entity.cursor
        for child_id in ids.result() if isinstance(ids, Future) else ids:
            if child_id is None:
                continue
            link = {
                self.association.parent_key: parent["id"],
                self.association.child_key: int(child_id),
            }
            if cursor:
                link[cursor] = parent.get(cursor)
            yield link

    def fetch_all(self, parent_id: int) -> list[Any]:
        """Every associated id from the to-many endpoint (`start`/`count` pages)."""
        url = (
            f"{self.url_base}/entity/{self.association.entity}/{parent_id}/{self.association.field}"
        )
        send = self.request_decorator(self._request)
        ids: list[Any] = []
        start = 0
        while True:
            prepared = self.build_prepared_request(
                method="GET",
                url=url,
                params={"fields": "id", "start": start, "count": MAX_COUNT},
                headers={"User-Agent": self.user_agent},
            )
            body = send(prepared, None).json()
            data = body.get("data") if isinstance(body, dict) else None
            ids.extend(item.get("id") for item in data or [])
            if len(data or []) < MAX_COUNT:
                return ids
            start += MAX_COUNT


END_OF_RANGE = object()


def split_ranges(after: KeysetToken, sync_started: int, count: int) -> list[RangeToken]:
    """Cut `(after, sync start)` into `count` equal time ranges, the last one open-ended."""
    lower = int(after.cursor)
    span = max(0, sync_started - lower)
    step = span // count
    if step < 1:
        return [RangeToken(lower, None, after)]
    bounds = [lower + step * index for index in range(count)]
    ranges = [
        RangeToken(start, end) for start, end in zip(bounds, [*bounds[1:], None], strict=True)
    ]
    ranges[0] = replace(ranges[0], after=after)
    return ranges


PAGE_DECODER = msgspec.json.Decoder(float_hook=decimal.Decimal)


def page_rows(response: requests.Response) -> list[dict[str, Any]]:
    """The `data` rows of a `/query` answer (decimals kept exact)."""
    try:
        body = PAGE_DECODER.decode(response.content)
    except msgspec.DecodeError as exc:
        msg = f"Bullhorn answered {response.status_code} with a body that is not JSON"
        raise BullhornError(msg) from exc
    rows = body.get("data") if isinstance(body, dict) else None
    return rows if isinstance(rows, list) else []


def _offer(pages: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put `item` once there is room; False when the emitter has stopped reading."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.2)
        except queue.Full:
            continue
        return True
    return False


def entity_stream_class(entity: Entity) -> type[EntityStream]:
    """A stream class for one entity (incremental on its cursor, or full table)."""
    attrs: dict[str, Any] = {
        "name": entity.stream_name,
        "entity": entity,
        "entity_name": entity.name,
        "replication_key": entity.cursor,
        "is_sorted": entity.cursor is not None,
        "__doc__": f"Bullhorn {entity.name} entity.",
    }
    return type(f"{entity.name}Stream", (EntityStream,), attrs)


def link_stream_class(association: Association, entity: Entity) -> type[LinkStream]:
    """A link stream class for one to-many field of an entity."""
    attrs: dict[str, Any] = {
        "name": association.stream_name,
        "entity": entity,
        "entity_name": entity.name,
        "association": association,
        "primary_keys": [association.parent_key, association.child_key],
        "replication_key": entity.cursor,
        "is_sorted": entity.cursor is not None,
        "__doc__": f"Links of {association.entity}.{association.field}.",
    }
    return type(f"{entity.name}{association.field.title()}Stream", (LinkStream,), attrs)


@dataclass(frozen=True)
class EventPage:
    """Which event-subscription call to make: re-get a batch, or poll for new events."""

    reget: int | None
    poll: int


class EventPaginator(BaseAPIPaginator[EventPage]):
    """Re-get the batch after the bookmark once, then poll until a short or empty batch."""

    def __init__(self, first: EventPage, max_events: int) -> None:
        super().__init__(first)
        self.max_events = max_events

    def get_next(self, response: requests.Response) -> EventPage | None:  # noqa: ARG002
        """The next poll."""
        return EventPage(None, self.current_value.poll + 1)

    def has_more(self, response: requests.Response) -> bool:
        """A re-get is always followed by a poll; a poll continues while batches are full."""
        if self.current_value.reget is not None:
            return True
        return len(_events(response)) >= self.max_events

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        """An empty re-get (batch already gone) still goes on to poll."""
        return self.current_value.reget is not None


def _events(response: requests.Response) -> list[dict[str, Any]]:
    if not response.content.strip():
        return []
    body = response.json()
    events = body.get("events") if isinstance(body, dict) else None
    return list(events or [])


class SubscriptionMissingError(FatalAPIError):
    """The event subscription does not exist yet."""


DELETED_RECORDS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event_id": {"type": ["string"], "description": "Bullhorn event id"},
        "entity_name": {"type": ["string", "null"], "description": "Entity type, e.g. Placement"},
        "entity_id": {"type": ["integer", "null"], "description": "Id of the deleted row"},
        "event_type": {"type": ["string", "null"], "description": "Always DELETED"},
        "event_timestamp": {"type": ["string", "null"], "format": "date-time"},
        "request_id": {"type": ["integer", "null"], "description": "Event batch id"},
    },
}


class DeletedRecordsStream(BullhornStream[EventPage]):
    """Hard deletes (and every DELETED event) from a Bullhorn entity event subscription."""

    name = "deleted_records"
    entity_name = "event subscription"
    primary_keys: ClassVar[list[str]] = ["event_id"]
    replication_key = "request_id"
    is_sorted = True
    max_events = 500

    @property
    def path(self) -> str:  # type: ignore[override]
        """`event/subscription/{id}`."""
        return f"/event/subscription/{self.config['event_subscription_id']}"

    def get_new_paginator(self) -> EventPaginator:
        """Start with a re-get of the batch after the last committed one, if any."""
        last = self.get_starting_replication_key_value(self.context)
        first = EventPage(int(last) + 1 if last else None, 0)
        return EventPaginator(first, self.max_events)

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """`requestId=` for a re-get, else `maxEvents=`."""
        request = super().get_http_request(page=page)
        token = page.next_page_token
        if token is not None and token.reget is not None:
            request.params = {"requestId": token.reget}
        else:
            request.params = {"maxEvents": self.max_events}
        return request

    def validate_response(self, response: requests.Response) -> None:
        """A 404 means the subscription must be created first."""
        if response.status_code == HTTPStatus.NOT_FOUND:
            raise SubscriptionMissingError(self.response_error_message(response))
        super().validate_response(response)

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """DELETED events of the batch."""
        if not response.content.strip():
            return
        body = response.json()
        request_id = body.get("requestId") if isinstance(body, dict) else None
        for event in _events(response):
            if event.get("entityEventType") != "DELETED":
                continue
            yield {
                "event_id": str(event.get("eventId")),
                "entity_name": event.get("entityName"),
                "entity_id": event.get("entityId"),
                "event_type": event.get("entityEventType"),
                "event_timestamp": event.get("eventTimestamp"),
                "request_id": request_id,
            }

    def post_process(
        self,
        row: dict[str, Any],
        context: Context | None = None,  # noqa: ARG002
    ) -> dict[str, Any]:
        """Event time to RFC 3339."""
        return self.convert_timestamps(row)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Read pending events; create the subscription on the first run."""
        try:
            yield from super().get_records(context)
        except SubscriptionMissingError:
            self.create_subscription()

    def create_subscription(self) -> None:
        """`PUT event/subscription/{id}?type=entity&names=...&eventTypes=DELETED`."""
        wanted = set(self.config.get("entities") or ENTITY_NAMES)
        names = [name for name in HARD_DELETE_ENTITIES if name in wanted]
        if not names:
            self.logger.warning("No hard-delete entity is selected; not creating a subscription.")
            return
        url = f"{self.url_base}{self.path}"
        prepared = self.build_prepared_request(
            method="PUT",
            url=url,
            params={"type": "entity", "names": ",".join(names), "eventTypes": "DELETED"},
        )
        self._request(prepared, None)
        self.logger.warning(
            "Created Bullhorn event subscription %s; hard deletes are captured from now on.",
            self.config["event_subscription_id"],
        )
