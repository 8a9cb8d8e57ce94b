"""The HTTP server that hosts one vendor app on 127.0.0.1.

Every vendor request passes, in order, through: latency, fault injection, the
vendor's rate limiter, then the vendor app. Requests under `/_sandbox/` are the
control API for tests and never count against limits or faults.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from sandbox.core.faults import FaultConfig, FaultInjector
from sandbox.core.http import MutationError, Request, Response
from sandbox.core.ratelimit import FixedWindowLimiter

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox.core.http import SandboxApp

CONTROL_PREFIX = "/_sandbox/"
logger = logging.getLogger("sandbox")


@dataclass(frozen=True)
class LoggedRequest:
    """One entry of the request log tests assert on."""

    method: str
    path: str
    query: str
    status: int
    at: float

    @property
    def url(self) -> str:
        """Path and query as they would appear in an access log."""
        return f"{self.path}?{self.query}" if self.query else self.path


class SandboxServer:
    """Serves a `SandboxApp` in a background thread until `stop()`."""

    def __init__(
        self,
        app: SandboxApp,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        faults: FaultConfig | None = None,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        self.app = app
        self.latency_ms = latency_ms
        self.faults = FaultInjector(faults)
        if rate_limit:
            app.limiter = FixedWindowLimiter(*rate_limit)
        self.log: list[LoggedRequest] = []
        # Called with the running count of vendor requests (tests use it to kill a tap).
        self.on_vendor_request: Callable[[int], None] | None = None
        self._vendor_count = 0
        self._log_lock = threading.Lock()
        self._httpd = _Server((host, port), _make_handler(self))
        address = self._httpd.server_address
        self.host, self.port = str(address[0]), int(address[1])
        app.base_url = self.base_url
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Root URL of this server, without a trailing slash."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"sandbox-{self.app.vendor}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- observations --------------------------------------------------------------------
    def record(self, entry: LoggedRequest) -> None:
        """Append one request to the log."""
        with self._log_lock:
            self.log.append(entry)

    def vendor_requests(self) -> list[LoggedRequest]:
        """Logged requests to the vendor API (control calls excluded)."""
        with self._log_lock:
            return [e for e in self.log if not e.path.startswith(CONTROL_PREFIX)]

    def clear_log(self) -> None:
        """Forget logged requests (between two syncs)."""
        with self._log_lock:
            self.log.clear()

    def stats(self) -> dict[str, Any]:
        """Counts tests and benchmarks report: requests, statuses, 429s, faults."""
        by_status: dict[str, int] = {}
        requests = self.vendor_requests()
        for entry in requests:
            by_status[str(entry.status)] = by_status.get(str(entry.status), 0) + 1
        limiter = self.app.limiter
        return {
            "requests": len(requests),
            "by_status": by_status,
            "rate_limited": by_status.get("429", 0),
            "limiter_refused": limiter.refused if limiter else 0,
            "faults_injected": dict(self.faults.injected),
        }

    # -- request pipeline ------------------------------------------------------------------
    def serve_vendor(self, request: Request) -> Response | None:
        """Latency, faults, rate limit, then the vendor app; None means reset the socket."""
        if self.on_vendor_request is not None:
            with self._log_lock:
                self._vendor_count += 1
                count = self._vendor_count
            self.on_vendor_request(count)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        metered = self.app.is_rate_limited_path(request)
        decision = self.faults.decide(metered=metered)
        if decision.revoke_tokens:
            self.app.revoke_tokens()
        if decision.extra_delay_ms:
            time.sleep(decision.extra_delay_ms / 1000)
        if decision.reset:
            return None
        if decision.error_status:
            return Response.json(
                {"message": "Sandbox injected failure"}, status=decision.error_status
            )
        limit_headers: dict[str, str] = {}
        limiter = self.app.limiter
        if metered:
            if decision.force_429:
                headers = {"Retry-After": str(decision.retry_after)}
                if limiter:
                    limit_headers = self.app.rate_limit_headers(
                        0, limiter.limit, time.time() + decision.retry_after
                    )
                return self.app.rate_limited_response(
                    decision.retry_after, {**limit_headers, **headers}
                )
            if limiter:
                outcome = limiter.hit()
                limit_headers = self.app.rate_limit_headers(
                    outcome.remaining, outcome.limit, outcome.reset_epoch
                )
                if not outcome.allowed:
                    headers = {**limit_headers, "Retry-After": str(outcome.retry_after)}
                    return self.app.rate_limited_response(outcome.retry_after, headers)
        response = self.app.handle(request)
        for key, value in limit_headers.items():
            response.headers.setdefault(key, value)
        return response

    def serve_control(self, request: Request) -> Response:
        """The test-facing control API."""
        route = request.path[len(CONTROL_PREFIX) :].strip("/")
        parts = route.split("/")
        try:
            if route == "stats" and request.method == "GET":
                return Response.json(self.stats())
            if route == "requests" and request.method == "GET":
                return Response.json([{**asdict(e), "url": e.url} for e in self.vendor_requests()])
            if route == "requests" and request.method == "DELETE":
                self.clear_log()
                return Response.json({"cleared": True})
            if route == "faults" and request.method == "PUT":
                self.faults.configure(FaultConfig.from_dict(request.json() or {}))
                return Response.json(asdict(self.faults.config))
            if route == "rate-limit" and request.method == "PUT":
                body = request.json() or {}
                if body.get("limit"):
                    self.app.limiter = FixedWindowLimiter(
                        int(body["limit"]), float(body["window_seconds"])
                    )
                else:
                    self.app.limiter = None
                return Response.json({"limit": body.get("limit")})
            if route == "latency" and request.method == "PUT":
                self.latency_ms = float((request.json() or {}).get("latency_ms", 0))
                return Response.json({"latency_ms": self.latency_ms})
            if route == "revoke-tokens" and request.method == "POST":
                self.app.revoke_tokens()
                return Response.json({"revoked": True})
            if route == "credentials" and request.method == "GET":
                return Response.json(self.app.credentials())
            if route == "secrets" and request.method == "GET":
                return Response.json(self.app.secrets())
            if route == "resources" and request.method == "GET":
                return Response.json(self.app.resources())
            if len(parts) == 2 and parts[0] == "records" and request.method == "GET":
                return Response.json(self.app.dump(parts[1]))
            if len(parts) == 2 and parts[0] == "mutate" and request.method == "POST":
                body = request.json() or {}
                ids = self.app.mutate(str(body["action"]), parts[1], int(body.get("count", 1)))
                return Response.json({"ids": ids})
        except (MutationError, ValueError, KeyError, TypeError) as exc:
            return Response.json({"error": str(exc)}, status=400)
        return Response.json({"error": f"unknown control route {request.method} {route}"}, 404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _make_handler(sandbox: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without TCP_NODELAY each response
        # would wait for the client's delayed ACK (~40 ms).
        disable_nagle_algorithm = True
        server_version = f"sandbox-{sandbox.app.vendor}"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Silence the default stderr access log; the request log replaces it."""

        def _dispatch(self) -> None:
            path, _, raw_query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = Request(
                method=self.command,
                path=path,
                raw_query=raw_query,
                headers=dict(self.headers.items()),
                body=body,
            )
            if path.startswith(CONTROL_PREFIX):
                response: Response | None = sandbox.serve_control(request)
            else:
                try:
                    response = sandbox.serve_vendor(request)
                except Exception:
                    logger.exception("sandbox %s failed on %s", sandbox.app.vendor, path)
                    response = Response.json({"message": "Internal Server Error"}, status=500)
            status = response.status if response else 0
            sandbox.record(LoggedRequest(self.command, path, raw_query, status, time.time()))
            if response is None:
                self._reset_connection()
                return
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        def _reset_connection(self) -> None:
            # SO_LINGER with a zero timeout makes close() send a TCP RST.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

        do_GET = _dispatch  # noqa: N815
        do_POST = _dispatch  # noqa: N815
        do_PUT = _dispatch  # noqa: N815
        do_DELETE = _dispatch  # noqa: N815
        do_HEAD = _dispatch  # noqa: N815

    return Handler
