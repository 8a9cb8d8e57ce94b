"""Request/response values and the base class every vendor stand-in implements."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sandbox.core.ratelimit import FixedWindowLimiter


@dataclass
class Request:
    """One parsed HTTP request as a vendor app sees it."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes = b""

    @property
    def query(self) -> dict[str, list[str]]:
        """Query parameters, keeping repeated keys and blank values."""
        return parse_qs(self.raw_query, keep_blank_values=True)

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, str]:
        """Form-encoded body as a flat dict."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    def json(self) -> Any:
        """JSON body, or None when empty."""
        if not self.body:
            return None
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass
class Response:
    """What a vendor app answers; the server serialises it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        """A JSON response."""
        encoded = json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")
        all_headers = {"Content-Type": "application/json; charset=utf-8"}
        all_headers.update(headers or {})
        return cls(status=status, body=encoded, headers=all_headers)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        """A plain-text (or HTML) response."""
        return cls(
            status=status,
            body=text.encode("utf-8"),
            headers={"Content-Type": f"{content_type}; charset=utf-8"},
        )


class MutationError(ValueError):
    """A control-API mutation that names an unknown resource or record."""


class SandboxApp:
    """Base class of a vendor stand-in.

    Subclasses implement `handle` for the vendor's routes and the mutation hooks
    tests use between two syncs. The server calls `rate_limit_headers` and
    `rate_limited_response` around every vendor request.
    """

    vendor: str = "vendor"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.limiter: FixedWindowLimiter | None = None
        self.base_url = ""

    # -- vendor routes -----------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        """Answer one vendor request (auth, lists, ...)."""
        raise NotImplementedError

    def is_rate_limited_path(self, request: Request) -> bool:
        """Whether the request counts against the vendor's API rate limit."""
        return True

    def rate_limit_headers(self, remaining: int, limit: int, reset_epoch: float) -> dict[str, str]:
        """The vendor's rate-limit headers for a response."""
        return {}

    def rate_limited_response(self, retry_after: int, headers: dict[str, str]) -> Response:
        """The vendor's 429 answer."""
        return Response.json({"message": "Too Many Requests"}, status=429, headers=headers)

    # -- auth --------------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        """Invalidate every issued token/session (token expiry mid-run)."""
        raise NotImplementedError

    def credentials(self) -> dict[str, str]:
        """Demo credentials and settings a tap needs to reach this sandbox."""
        raise NotImplementedError

    def secrets(self) -> list[str]:
        """Every secret value issued or accepted so far (for leak checks)."""
        raise NotImplementedError

    # -- test mutations ----------------------------------------------------------------
    def resources(self) -> list[str]:
        """Names of the resources tests can mutate and dump."""
        raise NotImplementedError

    def dump(self, resource: str) -> list[dict[str, Any]]:
        """Every current record of a resource, as the API would return it."""
        raise NotImplementedError

    def mutate(self, action: str, resource: str, count: int = 1) -> list[Any]:
        """Insert, update, soft- or hard-delete `count` records; return their ids."""
        raise NotImplementedError
