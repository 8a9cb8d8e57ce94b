"""A small client for the control API, for tests that run the tap in another process."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class SandboxClient:
    """Talks to `/_sandbox/...` on a running sandbox server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, method: str, route: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - loopback sandbox URL
            f"{self.base_url}/_sandbox/{route}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """Request counts, statuses, 429s and injected faults."""
        return dict(self._call("GET", "stats"))

    def requests(self) -> list[dict[str, Any]]:
        """The vendor request log."""
        return list(self._call("GET", "requests"))

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._call("DELETE", "requests")

    def set_faults(self, **faults: Any) -> None:
        """Replace the fault configuration (see `FaultConfig`)."""
        self._call("PUT", "faults", faults)

    def set_rate_limit(self, limit: int | None, window_seconds: float = 60.0) -> None:
        """Enforce `limit` requests per window, or none."""
        self._call("PUT", "rate-limit", {"limit": limit, "window_seconds": window_seconds})

    def set_latency(self, latency_ms: float) -> None:
        """Delay every vendor request."""
        self._call("PUT", "latency", {"latency_ms": latency_ms})

    def revoke_tokens(self) -> None:
        """Expire every issued token or session now."""
        self._call("POST", "revoke-tokens")

    def credentials(self) -> dict[str, str]:
        """Demo credentials for this sandbox."""
        return dict(self._call("GET", "credentials"))

    def secrets(self) -> list[str]:
        """Every secret value issued or accepted so far."""
        return list(self._call("GET", "secrets"))

    def resources(self) -> list[str]:
        """Names of the resources that can be dumped and mutated."""
        return list(self._call("GET", "resources"))

    def records(self, resource: str) -> list[dict[str, Any]]:
        """Every current record of a resource."""
        return list(self._call("GET", f"records/{resource}"))

    def mutate(self, resource: str, action: str, count: int = 1) -> list[Any]:
        """Insert, update, soft_delete or delete records; returns their ids."""
        return list(
            self._call("POST", f"mutate/{resource}", {"action": action, "count": count})["ids"]
        )
