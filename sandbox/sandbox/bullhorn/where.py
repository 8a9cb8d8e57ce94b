"""The subset of Bullhorn's JPQL `where` syntax the sandbox understands.

Comparisons (`=`, `<>`, `!=`, `>`, `>=`, `<`, `<=`) of a field (dotted paths into TO_ONE
values allowed) with an integer, decimal, quoted string, `true`/`false` or `null`; `IN (...)`;
`AND`, `OR`, `NOT` and parentheses. Timestamps compare as epoch milliseconds, as in the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]
TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op><>|!=|>=|<=|=|>|<)"
    r"|(?P<paren>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)


class WhereError(ValueError):
    """A where clause the sandbox cannot parse (the API answers 400)."""


@dataclass(frozen=True)
class Node:
    """A parsed clause: a predicate and the lower bound it implies on each field."""

    test: Predicate
    lower: dict[str, Any]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            msg = f"cannot parse where clause near {text[pos : pos + 20]!r}"
            raise WhereError(msg)
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _field_value(row: dict[str, Any], path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def _literal(kind: str, text: str) -> Any:
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "str":
        return text[1:-1].replace("''", "'")
    lowered = text.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    msg = f"unexpected value {text!r}"
    raise WhereError(msg)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op in {"<>", "!="}:
        return bool(left != right)
    if left is None or right is None:
        return False
    if isinstance(left, bool):
        left = int(left)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            msg = "unexpected end of where clause"
            raise WhereError(msg)
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            msg = f"unexpected {self.peek()!r} in where clause"
            raise WhereError(msg)
        return node

    def expr(self) -> Node:
        nodes = [self.term()]
        while self.keyword("OR"):
            nodes.append(self.term())
        if len(nodes) == 1:
            return nodes[0]
        tests = [n.test for n in nodes]
        # A field is bounded below by an OR only when every branch bounds it.
        shared = set(nodes[0].lower)
        for node in nodes[1:]:
            shared &= set(node.lower)
        lower = {name: min(node.lower[name] for node in nodes) for name in shared}
        return Node(lambda row: any(test(row) for test in tests), lower)

    def term(self) -> Node:
        nodes = [self.factor()]
        while self.keyword("AND"):
            nodes.append(self.factor())
        if len(nodes) == 1:
            return nodes[0]
        tests = [n.test for n in nodes]
        lower: dict[str, Any] = {}
        for node in nodes:
            for name, value in node.lower.items():
                lower[name] = max(value, lower.get(name, value))
        return Node(lambda row: all(test(row) for test in tests), lower)

    def factor(self) -> Node:
        if self.keyword("NOT"):
            inner = self.factor()
            return Node(lambda row: not inner.test(row), {})
        token = self.take()
        if token == ("paren", "("):
            node = self.expr()
            if self.take() != ("paren", ")"):
                msg = "missing ) in where clause"
                raise WhereError(msg)
            return node
        if token[0] != "word":
            msg = f"expected a field name, got {token[1]!r}"
            raise WhereError(msg)
        path = token[1]
        if self.keyword("IN"):
            return self._in(path)
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            if not self.keyword("NULL"):
                msg = "expected NULL after IS"
                raise WhereError(msg)
            return Node(lambda row: (_field_value(row, path) is None) != negate, {})
        op_token = self.take()
        if op_token[0] != "op":
            msg = f"expected an operator after {path}, got {op_token[1]!r}"
            raise WhereError(msg)
        value = _literal(*self.take())
        op = op_token[1]
        lower = {path: value} if op in {">", ">=", "="} and value is not None else {}
        return Node(lambda row: _compare(_field_value(row, path), op, value), lower)

    def _in(self, path: str) -> Node:
        if self.take() != ("paren", "("):
            msg = "expected ( after IN"
            raise WhereError(msg)
        values = set()
        while True:
            values.add(_literal(*self.take()))
            token = self.take()
            if token == ("paren", ")"):
                break
            if token != ("paren", ","):
                msg = "expected , or ) in IN list"
                raise WhereError(msg)
        return Node(lambda row: _field_value(row, path) in values, {})


def parse_where(text: str) -> Node:
    """Parse a where clause into a predicate and per-field lower bounds."""
    if not text.strip():
        msg = "where clause is empty"
        raise WhereError(msg)
    return _Parser(text).parse()
