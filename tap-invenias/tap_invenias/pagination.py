"""Paging through Invenias list endpoints.

Incremental lists are read in (modification date, ItemId) order by narrowing the
filter window instead of walking deep `PageIndex` values: after each full page the next
request asks again from PageIndex 0 with `date >= last date seen`. Rows at that boundary
date are read twice and dropped the second time by ItemId, so a row that shifts between
pages (an edit moves it out of the window, an insert moves others down) is neither lost
nor emitted twice. Only when a whole page shares one date does the cursor step PageIndex.

Lists without a date are read by `PageIndex` in ItemId order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

if TYPE_CHECKING:
    import requests


@dataclass(frozen=True)
class ListCursor:
    """Where the next request of an incremental list starts."""

    # Inclusive lower bound on the replication key, as sent in the Filter.
    lower: str | None
    page_index: int = 0
    # Rows already emitted whose replication key equals `lower`.
    seen_at_lower: frozenset[str] = frozenset()


@dataclass
class PageOutcome:
    """What the stream saw in the last response (filled while parsing it)."""

    items: int = 0
    last_key: str | None = None
    ids_at_last_key: set[str] = field(default_factory=set)

    def reset(self) -> None:
        """Start counting a new page.

        The last date and its ids carry over: rows of one date can span pages, and the
        next window must know all of them to drop the ones already emitted.
        """
        self.items = 0

    def saw(self, item_id: str, key: str | None) -> None:
        """Count one item of the page (before any de-duplication)."""
        self.items += 1
        if key is None:
            return
        if key != self.last_key:
            self.last_key = key
            self.ids_at_last_key = set()
        self.ids_at_last_key.add(item_id)


def same_instant(left: str | None, right: str | None) -> bool:
    """Whether two Invenias date strings name the same instant."""
    if left is None or right is None:
        return left is right
    return parse_instant(left) == parse_instant(right)


def parse_instant(value: str) -> datetime:
    """Parse an Invenias round-trip date (7 fractional digits and an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class KeysetWindowPaginator(BaseAPIPaginator[ListCursor]):
    """Narrows `date >= lower` after every full page."""

    def __init__(self, start: ListCursor, page_size: int, outcome: PageOutcome) -> None:
        super().__init__(start)
        self.page_size = page_size
        self.outcome = outcome

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        """A short page is the last one."""
        return self.outcome.items >= self.page_size

    def continue_if_empty(self, response: requests.Response) -> bool:  # noqa: ARG002
        """A page whose rows were all emitted already is not the end of the list."""
        return self.outcome.items >= self.page_size

    def get_next(self, response: requests.Response) -> ListCursor:  # noqa: ARG002
        """Move the lower bound to the last date seen, or step PageIndex within one date."""
        current = self.current_value
        last = self.outcome.last_key
        if last is not None and not same_instant(last, current.lower):
            return ListCursor(lower=last, seen_at_lower=frozenset(self.outcome.ids_at_last_key))
        return ListCursor(
            lower=current.lower,
            page_index=current.page_index + 1,
            seen_at_lower=current.seen_at_lower | self.outcome.ids_at_last_key,
        )


class PageIndexPaginator(PageNumberPaginator):
    """`PageIndex` 0, 1, 2, ... until a page comes back short."""

    def __init__(self, page_size: int, outcome: PageOutcome) -> None:
        super().__init__(0)
        self.page_size = page_size
        self.outcome = outcome

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        """A short page is the last one."""
        return self.outcome.items >= self.page_size
