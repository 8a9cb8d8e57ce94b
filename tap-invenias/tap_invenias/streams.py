"""Invenias streams: one per list endpoint, plus the lookup endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from tap_invenias import schemas
from tap_invenias.client import InveniasStream
from tap_invenias.pagination import (
    KeysetWindowPaginator,
    ListCursor,
    PageIndexPaginator,
    PageOutcome,
    same_instant,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.pagination import BaseAPIPaginator
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_invenias.tap import TapInvenias

SCHEMAS_DIR = SchemaDirectory(schemas)
# Columns every list item carries whatever the Select; they are never requested.
IDENTITY_COLUMNS = ("ItemId", "ItemType", "OffLimitsStatus")
DEFAULT_MODIFIED_COLUMN = "DateModified"
MAX_PAGE_SIZE = 1000


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
        else:
            self._active_cursor = None
            body["Sort"] = [{"Selector": "ItemId", "Desc": False}]
            body["PageIndex"] = int(token or 0)
        request.data = body
        return request

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Items of the page, minus boundary rows the previous window already emitted."""
        self._outcome.reset()
        cursor = self._active_cursor
        key = self.replication_key
        known = self.schema["properties"].keys()
        for item in super().parse_response(response):
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

    @property
    def partitions(self) -> list[dict[str, Any]]:
        """One partition per enumeration name."""
        names = self.invenias_tap.setting_names
        return [{"setting_name": name} for name in names]

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
