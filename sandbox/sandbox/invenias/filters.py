"""The `Filter` and `Sort` language of Invenias list endpoints.

From the Invenias API docs ("Using Lists"): a condition is `[column, operator, value]`
(`isnull` and `isnullorempty` take no value); conditions combine with `"and"` / `"or"`
and nest as arrays; `not` is not supported. Operators: `= > >= < <= <> contains
startswith endswith notcontains isnull isnullorempty in`.

Columns hold text, numbers, booleans, ISO dates, a reference `{"Id": ...}` or a list of
references `[{"Id": ..., "ItemDisplayText": ...}]`; text operators on references look
at `ItemDisplayText`, equality at `Id`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

Record = dict[str, Any]
Predicate = Callable[[Record], bool]

VALUE_OPERATORS = {
    "=",
    ">",
    ">=",
    "<",
    "<=",
    "<>",
    "contains",
    "startswith",
    "endswith",
    "notcontains",
    "in",
}
NULL_OPERATORS = {"isnull", "isnullorempty"}
LOGICAL = {"and", "or"}


class FilterError(ValueError):
    """A malformed Filter or Sort; the API answers 400."""


def compile_filter(expression: Any, columns: set[str]) -> Predicate:
    """Turn a `Filter` body value into a predicate over stored records."""
    if expression is None or expression == []:
        return lambda _row: True
    if not isinstance(expression, list):
        msg = "Filter must be an array"
        raise FilterError(msg)
    return _compile(expression, columns)


def _is_condition(node: list[Any]) -> bool:
    return bool(node) and isinstance(node[0], str) and node[0].lower() not in LOGICAL


def _compile(node: list[Any], columns: set[str]) -> Predicate:
    if node and isinstance(node[0], str) and node[0].lower() in {"!", "not"}:
        msg = "The 'not' operator is not supported"
        raise FilterError(msg)
    if _is_condition(node):
        return _condition(node, columns)
    parts: list[Predicate] = []
    joiner: str | None = None
    expect_operand = True
    for item in node:
        if isinstance(item, str):
            word = item.lower()
            if word not in LOGICAL or expect_operand:
                msg = f"Unexpected {item!r} in Filter"
                raise FilterError(msg)
            if joiner is not None and joiner != word:
                msg = "Mixing 'and' and 'or' in one group is not allowed; nest the groups"
                raise FilterError(msg)
            joiner = word
            expect_operand = True
            continue
        if not isinstance(item, list):
            msg = f"Unexpected {item!r} in Filter"
            raise FilterError(msg)
        # Two groups side by side without a word between them mean "and".
        if not expect_operand:
            if joiner == "or":
                msg = "Mixing 'and' and 'or' in one group is not allowed; nest the groups"
                raise FilterError(msg)
            joiner = "and"
        parts.append(_compile(item, columns))
        expect_operand = False
    if expect_operand:
        msg = "Filter group ends with a logical operator"
        raise FilterError(msg)
    if joiner == "or":
        return lambda row: any(part(row) for part in parts)
    return lambda row: all(part(row) for part in parts)


def _condition(node: list[Any], columns: set[str]) -> Predicate:
    column = node[0]
    if column not in columns:
        msg = f"Unknown column {column!r} in Filter"
        raise FilterError(msg)
    if len(node) < 2 or not isinstance(node[1], str):
        msg = f"Filter condition on {column!r} has no operator"
        raise FilterError(msg)
    operator = node[1].lower()
    if operator in NULL_OPERATORS:
        if len(node) != 2:
            msg = f"{operator} takes no value"
            raise FilterError(msg)
        empty_counts = operator == "isnullorempty"
        return lambda row: _is_null(row.get(column), empty_counts=empty_counts)
    if operator not in VALUE_OPERATORS:
        msg = f"Unknown operator {node[1]!r}"
        raise FilterError(msg)
    if len(node) != 3:
        msg = f"{operator} needs exactly one value"
        raise FilterError(msg)
    value = node[2]
    if operator == "in" and not isinstance(value, list):
        msg = "in needs an array of values"
        raise FilterError(msg)
    test = _OPERATORS[operator]
    return lambda row: test(row.get(column), value)


def _is_null(stored: Any, *, empty_counts: bool) -> bool:
    if stored is None:
        return True
    return empty_counts and stored in ("", [], {})


def _scalars(stored: Any) -> list[Any]:
    """The comparable values of a column: references compare by Id and display text."""
    if isinstance(stored, dict):
        return [stored.get("Id"), stored.get("ItemDisplayText")]
    if isinstance(stored, list):
        values: list[Any] = []
        for item in stored:
            values.extend(_scalars(item))
        return values
    return [stored]


def _coerce(stored: Any, wanted: Any) -> tuple[Any, Any] | None:
    """Both sides as comparable values of one type, or None when they cannot compare."""
    if stored is None or wanted is None:
        return None
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return _as_bool(stored), _as_bool(wanted)
    if isinstance(stored, (int, float)) and not isinstance(stored, bool):
        try:
            return float(stored), float(wanted)
        except (TypeError, ValueError):
            return None
    text = str(stored)
    moment = _as_datetime(text)
    if moment is not None:
        other = _as_datetime(str(wanted))
        if other is not None:
            return moment, other
    return text.lower(), str(wanted).lower()


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _as_datetime(text: str) -> datetime | None:
    if len(text) < 10 or text[4:5] != "-" or text[7:8] != "-":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def test(stored: Any, wanted: Any) -> bool:
        candidates = wanted if isinstance(wanted, list) else [wanted]
        for value in _scalars(stored):
            for candidate in candidates:
                pair = _coerce(value, candidate)
                if pair is not None and op(*pair):
                    return True
        return False

    return test


def _text(op: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def test(stored: Any, wanted: Any) -> bool:
        needle = str(wanted).lower()
        return any(
            value is not None and op(str(value).lower(), needle) for value in _scalars(stored)
        )

    return test


def _not_equal(stored: Any, wanted: Any) -> bool:
    return not _compare(lambda a, b: a == b)(stored, wanted)


def _not_contains(stored: Any, wanted: Any) -> bool:
    needles = wanted if isinstance(wanted, list) else [wanted]
    return not any(_text(lambda a, b: b in a)(stored, needle) for needle in needles)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": _compare(lambda a, b: a == b),
    ">": _compare(lambda a, b: a > b),
    ">=": _compare(lambda a, b: a >= b),
    "<": _compare(lambda a, b: a < b),
    "<=": _compare(lambda a, b: a <= b),
    "<>": _not_equal,
    "contains": _text(lambda a, b: b in a),
    "startswith": _text(lambda a, b: a.startswith(b)),
    "endswith": _text(lambda a, b: a.endswith(b)),
    "notcontains": _not_contains,
    "in": _compare(lambda a, b: a == b),
}


def sort_key(sort: Sequence[Any], columns: set[str]) -> list[tuple[str, bool]]:
    """Validate a `Sort` body value into (column, descending) pairs."""
    keys: list[tuple[str, bool]] = []
    for item in sort:
        if not isinstance(item, dict) or "Selector" not in item:
            msg = 'Sort items look like {"Selector": "Column", "Desc": false}'
            raise FilterError(msg)
        selector = item["Selector"]
        if selector not in columns:
            msg = f"Unknown column {selector!r} in Sort"
            raise FilterError(msg)
        keys.append((str(selector), bool(item.get("Desc", False))))
    return keys


# `sortable`'s rank of date values (they sort after nulls, numbers and text).
DATE_RANK = 3


def sortable(value: Any) -> tuple[int, Any]:
    """A total order over stored values: nulls first, then by type-appropriate value."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, float(value))
    if isinstance(value, dict):
        return (2, str(value.get("ItemDisplayText") or value.get("Id") or "").lower())
    if isinstance(value, list):
        return (2, ",".join(str(v.get("ItemDisplayText", "")) for v in value).lower())
    text = str(value)
    moment = _as_datetime(text)
    if moment is not None:
        return (DATE_RANK, moment)
    return (2, text.lower())
