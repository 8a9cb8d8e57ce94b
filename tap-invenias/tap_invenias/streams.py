"""Invenias streams: one per list endpoint, plus the lookup endpoints."""

from __future__ import annotations

import math
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from tap_invenias import schemas
from tap_invenias.client import InveniasStream
from tap_invenias.errors import InveniasError, StreamForbiddenError
from tap_invenias.pagination import (
    KeysetWindowPaginator,
    ListCursor,
    PageIndexPaginator,
    PageOutcome,
    same_instant,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable

    import requests
    from singer_sdk import metrics
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.pagination import BaseAPIPaginator
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    Send = Callable[[requests.PreparedRequest, Context | None], requests.Response]

    from tap_invenias.tap import TapInvenias

SCHEMAS_DIR = SchemaDirectory(schemas)
# Columns every list item carries whatever the Select; they are never requested.
IDENTITY_COLUMNS = ("ItemId", "ItemType", "OffLimitsStatus")
DEFAULT_MODIFIED_COLUMN = "DateModified"
MAX_PAGE_SIZE = 1000
# Pages read from one filter window before it is narrowed again: bounds PageIndex depth
# (the API reads deep offsets slowly) while leaving room to fetch pages side by side.
PAGES_PER_WINDOW = 16


@dataclass(frozen=True)
class Entity:
    """One Invenias list endpoint and the stream that reads it."""

    stream: str
    path: str
    incremental: bool = True


ENTITIES: tuple[Entity, ...] = (
    Entity("people", "people"),
    Entity("companies", "companies"),
    Entity("assignments", "assignments"),
    Entity("programmes", "programmes"),
    Entity("placements", "placements"),
    Entity("appointments", "appointments"),
    Entity("journal", "journal"),
    Entity("documents", "documents"),
    Entity("lookup_lists", "lookuplists", incremental=False),
)
ENTITY_BY_STREAM = {entity.stream: entity for entity in ENTITIES}


def round_trip(moment: datetime) -> str:
    """A date as Invenias writes it: seven fractional digits and a UTC offset."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0+00:00"


class ListStream(InveniasStream):
    """`POST /api/v1/{entity}/list`: Select, Filter, Sort and paging in a JSON body."""

    http_method = "POST"
    records_jsonpath = "$.Items[*]"
    primary_keys: ClassVar[list[str]] = ["ItemId"]
    entity: ClassVar[Entity]
    # Items already hold JSON types and only the columns asked for (parse_response drops
    # any other): the SDK's per-value conformance would cost ~40% of the CPU for nothing.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapInvenias, schema: dict[str, Any]) -> None:
        super().__init__(tap=tap, schema=schema, name=self.entity.stream)
        self._outcome = PageOutcome()
        self._active_cursor: ListCursor | None = None
        self._start_lower: str | None = None
        self._window_end: str | None = None
        if self.entity.incremental:
            modified = dict(self.config.get("modified_columns") or {})
            self.replication_key = str(modified.get(self.name, DEFAULT_MODIFIED_COLUMN))

    @property
    def is_sorted(self) -> bool:
        """Incremental lists come back in (date, ItemId) order, so a run can resume."""
        return bool(self.replication_key)

    @property
    def check_sorted(self) -> bool:
        """Off: the lookback re-reads rows older than the bookmark it started from.

        The bookmark then follows the rows read, so it can only step back inside the
        lookback window (a resume re-reads a little more, never less).
        """
        return False

    @property
    def path(self) -> str:  # type: ignore[override]
        """The list endpoint of this entity."""
        return f"/{self.entity.path}/list"

    @property
    def page_size(self) -> int:
        """Rows per call (`PageSize`, at most 1000)."""
        return int(self.config.get("page_size") or MAX_PAGE_SIZE)

    def selected_columns(self) -> list[str]:
        """Columns to ask for: the schema's selected properties (identity columns come anyway)."""
        columns = []
        for name in self.schema.get("properties", {}):
            if name in IDENTITY_COLUMNS:
                continue
            if name != self.replication_key and not self.mask.get(("properties", name), True):
                continue
            columns.append(name)
        return columns

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Fix the window before the first page: lower bound and the sync's start time."""
        if self.replication_key:
            start = self.get_starting_timestamp(context)
            if start is not None:
                start -= timedelta(minutes=int(self.config.get("lookback_minutes") or 0))
                self._start_lower = round_trip(start)
            # Rows changed after the sync began are left for the next run, so a bookmark
            # can never move past a row that was not emitted.
            self._window_end = round_trip(datetime.now(timezone.utc))
        yield from super().get_records(context)

    def get_new_paginator(self) -> BaseAPIPaginator[Any]:
        """Keyset windows for incremental lists, PageIndex for the rest."""
        self._outcome = PageOutcome()
        if self.replication_key:
            return KeysetWindowPaginator(
                ListCursor(lower=self._start_lower), self.page_size, self._outcome
            )
        return PageIndexPaginator(self.page_size, self._outcome)

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """The list body for this page."""
        request = super().get_http_request(page=page)
        request.params = {}
        body: dict[str, Any] = {"Select": self.selected_columns(), "PageSize": self.page_size}
        token = page.next_page_token
        if isinstance(token, ListCursor):
            self._active_cursor = token
            key = str(self.replication_key)
            conditions: list[Any] = [[key, "<=", self._window_end]]
            if token.lower is not None:
                conditions = [[key, ">=", token.lower], "and", *conditions]
            body["Filter"] = conditions
            body["Sort"] = [
                {"Selector": key, "Desc": False},
                {"Selector": "ItemId", "Desc": False},
            ]
            body["PageIndex"] = token.page_index
            # The count tells how many pages the window holds, and a changed count that
            # rows left it while it was being read.
            body["ReturnTotalCount"] = True
        else:
            self._active_cursor = None
            body["Sort"] = [{"Selector": "ItemId", "Desc": False}]
            body["PageIndex"] = int(token or 0)
        request.data = body
        return request

    # -- reading windows with several requests in flight ---------------------------------
    def request_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Incremental lists: page 0 of each window, then its other pages side by side.

        Pages are emitted strictly in (date, ItemId) order, so the bookmark only moves
        forward and an interrupted run resumes where it stopped.
        """
        if not self.replication_key or self.invenias_tap.parallel_requests <= 1:
            yield from super().request_records(context)
            return
        send: Send = self.request_decorator(self._request)
        cursor: ListCursor | None = ListCursor(lower=self._start_lower)
        workers = self.invenias_tap.parallel_requests
        with (
            ThreadPoolExecutor(workers, thread_name_prefix=self.name) as pool,
            self.get_http_request_counter() as counter,
        ):
            counter.with_context(context)
            while cursor is not None:
                cursor = yield from self._read_window(context, cursor, send, pool, counter)

    def _read_window(
        self,
        context: Context | None,
        cursor: ListCursor,
        send: Send,
        pool: ThreadPoolExecutor,
        counter: metrics.Counter,
    ) -> Generator[dict[str, Any], None, ListCursor | None]:
        """Emit up to PAGES_PER_WINDOW pages of one window; return where to go on, or None."""
        first = decode_page(send(self.list_request(context, cursor), context))
        counter.increment()
        total = total_item_count(first)
        yield from self.page_items(first, cursor)
        if self._outcome.items < self.page_size:
            return None
        if total is None:
            return self._next_cursor(cursor, pages_read=1, shifted=False)
        rows_left = total - (cursor.page_index + 1) * self.page_size
        pages_left = min(PAGES_PER_WINDOW - 1, math.ceil(rows_left / self.page_size))
        later_pages = [
            replace(cursor, page_index=cursor.page_index + offset)
            for offset in range(1, 1 + pages_left)
        ]
        pending: deque[Future[requests.Response]] = deque()
        to_send = iter(later_pages)
        pages_read = 1

        def send_next() -> None:
            page = next(to_send, None)
            if page is not None:
                pending.append(pool.submit(send, self.list_request(context, page), context))

        # Two per worker in flight: the pool stays busy while memory holds a few pages only.
        for _ in range(2 * self.invenias_tap.parallel_requests):
            send_next()
        try:
            while pending:
                page = decode_page(pending.popleft().result())
                counter.increment()
                if total_item_count(page) != total:
                    self.logger.info(
                        "%s: rows left the window while it was read; narrowing from the last "
                        "row emitted",
                        self.name,
                    )
                    return self._next_cursor(cursor, pages_read=pages_read, shifted=True)
                yield from self.page_items(page, cursor)
                pages_read += 1
                if self._outcome.items < self.page_size:
                    return None
                send_next()
        finally:
            for future in pending:
                future.cancel()
        return self._next_cursor(cursor, pages_read=pages_read, shifted=False)

    def _next_cursor(self, cursor: ListCursor, *, pages_read: int, shifted: bool) -> ListCursor:
        """Narrow to the last date read; within one date, step PageIndex (or re-read it)."""
        last = self._outcome.last_key
        if last is not None and not same_instant(last, cursor.lower):
            return ListCursor(lower=last, seen_at_lower=frozenset(self._outcome.ids_at_last_key))
        # Every row read so far in this window has date `lower`: dedupe covers a re-read.
        return ListCursor(
            lower=cursor.lower,
            page_index=0 if shifted else cursor.page_index + pages_read,
            seen_at_lower=cursor.seen_at_lower | self._outcome.ids_at_last_key,
        )

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Items of the page, minus boundary rows the previous window already emitted."""
        return self.page_items(decode_page(response), self._active_cursor)

    def page_items(
        self, page: dict[str, Any], cursor: ListCursor | None
    ) -> Iterable[dict[str, Any]]:
        """`Items` of a decoded page, unknown columns dropped, re-read boundary rows skipped."""
        self._outcome.reset()
        key = self.replication_key
        known = self.schema["properties"].keys()
        for item in page.get("Items") or ():
            if not item.keys() <= known:
                item = {name: value for name, value in item.items() if name in known}  # noqa: PLW2901
            item_id = str(item.get("ItemId"))
            value = item.get(key) if key else None
            self._outcome.saw(item_id, value)
            if (
                cursor is not None
                and item_id in cursor.seen_at_lower
                and same_instant(value, cursor.lower)
            ):
                continue
            yield item


class LookupListEntriesStream(ListStream):
    """`POST /api/v1/lookuplists/{id}/entries/list` for every lookup list."""

    entity = Entity("lookup_list_entries", "lookuplists", incremental=False)
    state_partitioning_keys: ClassVar[list[str]] = []

    @property
    def path(self) -> str:  # type: ignore[override]
        """Entries of one lookup list."""
        return "/lookuplists/{lookup_list_id}/entries/list"


def decode_page(response: requests.Response) -> dict[str, Any]:
    """A list answer's JSON (msgspec decodes pages of 1000 rows in about half the time)."""
    try:
        page = msgspec.json.decode(response.content)
    except msgspec.DecodeError as exc:
        msg = f"Invenias answered {response.status_code} with a body that is not JSON"
        raise InveniasError(msg) from exc
    return page if isinstance(page, dict) else {}


def total_item_count(page: dict[str, Any]) -> int | None:
    """`Paging.TotalItemCount` of a decoded list answer, when the server counted."""
    count = (page.get("Paging") or {}).get("TotalItemCount")
    return count if isinstance(count, int) else None


def list_stream_class(entity: Entity) -> type[ListStream]:
    """A stream class for one list entity."""
    return type(
        f"{entity.stream.title().replace('_', '')}Stream", (ListStream,), {"entity": entity}
    )


class LookupListsStream(ListStream):
    """`POST /api/v1/lookuplists/list`; parent of the entries stream."""

    entity = ENTITY_BY_STREAM["lookup_lists"]

    def get_child_context(self, record: Record, context: Context | None) -> dict[str, Any]:  # noqa: ARG002
        """Each lookup list's entries are read with its id."""
        return {"lookup_list_id": record["ItemId"]}


LookupListEntriesStream.parent_stream_type = LookupListsStream


class SettingsStream(InveniasStream):
    """`GET /api/v1/settings/{key}`: one row per entry of each enumeration."""

    name = "settings"
    path = "/settings/{setting_name}"
    records_jsonpath = "$.Settings.ItemReferences[*]"
    primary_keys: ClassVar[list[str]] = ["SettingName", "Id"]
    schema = StreamSchema(SCHEMAS_DIR)
    state_partitioning_keys: ClassVar[list[str]] = []
    skip_not_found = True

    def __init__(self, tap: TapInvenias) -> None:
        super().__init__(tap=tap)
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict[str, Future[requests.Response]] = {}

    @property
    def partitions(self) -> list[dict[str, Any]]:
        """One partition per enumeration name."""
        names = self.invenias_tap.setting_names
        return [{"setting_name": name} for name in names]

    def request_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """One GET per enumeration; with parallel requests, all are sent ahead through the pool.

        The SDK asks for the partitions one by one; the first ask sends every request and
        each later one waits only for its own answer.
        """
        if self.invenias_tap.parallel_requests <= 1:
            yield from super().request_records(context)
            return
        future = self._prefetched(context).pop(str((context or {}).get("setting_name")), None)
        if future is None:
            yield from super().request_records(context)
            return
        try:
            with self.get_http_request_counter() as counter:
                counter.with_context(context)
                response = future.result()
                counter.increment()
                yield from self.parse_response(response)
        except StreamForbiddenError:
            raise  # this enumeration is skipped; the others are still wanted
        except BaseException:
            self._drop_prefetched()
            raise
        if not self._pending and self._pool is not None:
            self._drop_prefetched()

    def _prefetched(self, context: Context | None) -> dict[str, Future[requests.Response]]:
        """Send every enumeration's request on the first ask of a run."""
        if self._pool is None and context is not None:
            send: Send = self.request_decorator(self._request)
            self._pool = ThreadPoolExecutor(
                self.invenias_tap.parallel_requests, thread_name_prefix=self.name
            )
            for partition in self.partitions:
                request = self.list_request(partition, None)
                self._pending[partition["setting_name"]] = self._pool.submit(
                    send, request, partition
                )
        return self._pending

    def _drop_prefetched(self) -> None:
        """Cancel calls not yet sent (the run stopped, or all answers were read)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pending.clear()

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Name the enumeration each entry belongs to."""
        row["SettingName"] = (context or {}).get("setting_name")
        return row


class CountriesStream(InveniasStream):
    """`GET /api/v1/countries`."""

    name = "countries"
    path = "/countries"
    records_jsonpath = "$.Items[*]"
    primary_keys: ClassVar[list[str]] = ["CountryCode"]
    schema = StreamSchema(SCHEMAS_DIR)


class DataManagementRulesStream(InveniasStream):
    """`GET /api/v1/datamanagement/{entity}/rules` for people, companies and assignments."""

    name = "data_management_rules"
    path = "/datamanagement/{entity}/rules"
    records_jsonpath = "$.Fields[*]"
    primary_keys: ClassVar[list[str]] = ["Entity", "FieldName"]
    schema = StreamSchema(SCHEMAS_DIR)
    state_partitioning_keys: ClassVar[list[str]] = []
    partitions: ClassVar[list[dict[str, Any]]] = [
        {"entity": "people"},
        {"entity": "companies"},
        {"entity": "assignment"},
    ]

    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """Name the entity each rule applies to."""
        row["Entity"] = (context or {}).get("entity")
        return row


LOOKUP_STREAMS: tuple[type[InveniasStream], ...] = (
    SettingsStream,
    CountriesStream,
    DataManagementRulesStream,
)
