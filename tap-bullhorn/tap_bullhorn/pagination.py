"""Keyset paging over `/query`: the next page starts after the last (cursor, id) seen.

Deep `start` offsets drift while data changes and stop at 20,000 rows, so the tap never uses
them for entities. Bullhorn may return fewer rows than `count` asked for (200 instead of 500
on wide field lists), so a short page only ends the stream once a fuller page has been seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from singer_sdk.pagination import BaseAPIPaginator


@dataclass(frozen=True)
class KeysetToken:
    """The position after the last row of a page."""

    cursor: Any  # epoch millis of the cursor field, or None for id-only paging
    last_id: int


@dataclass(frozen=True)
class RangeToken:
    """One time range of an entity, `[lower, upper)`, and the keyset position inside it.

    `upper` is None for the last range, which stays open for rows changed during the run.
    """

    lower: int
    upper: int | None
    after: KeysetToken | None = None


@dataclass(frozen=True)
class PageSummary:
    """What the stream saw in the page it just parsed."""

    count: int
    last: KeysetToken | None


class KeysetPaginator(BaseAPIPaginator[KeysetToken | None]):
    """Continues after the last row until a page is empty or clearly the last one."""

    def __init__(self, requested: int, summary: Callable[[], PageSummary]) -> None:
        super().__init__(None)
        self.requested = requested
        self._summary = summary
        self.largest_page = 0

    def has_more(self, response: requests.Response) -> bool:  # noqa: ARG002
        """More rows may exist unless the page was empty or shorter than an earlier one."""
        count = self._summary().count
        previous = self.largest_page
        self.largest_page = max(previous, count)
        if count == 0:
            return False
        if count >= self.requested:
            return True
        # A short page: the end, unless the server caps pages below `requested`.
        return not (previous and count < previous)

    def get_next(self, response: requests.Response) -> KeysetToken | None:  # noqa: ARG002
        """The last row's (cursor, id)."""
        return self._summary().last
