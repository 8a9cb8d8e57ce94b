"""What the end-to-end suite needs to know about each tap and its sandbox."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.core.server import SandboxServer


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class BadConfig:
    """A broken setting, as environment overrides, and the word the error must name."""

    case: str
    overrides: Callable[[SandboxServer], dict[str, str]]
    names: str


@dataclass(frozen=True)
class Vendor:
    """One tap, its sandbox and its settings as Meltano environment variables."""

    name: str
    key: str
    env: Callable[[SandboxServer], dict[str, str]]
    bad_configs: list[BadConfig] = field(default_factory=list)
    # Settings that make a sync take many requests (for rate-limit tests).
    many_pages: dict[str, str] = field(default_factory=dict)
    # Sandbox resource name -> the tap's stream name (also the JSONL file and table name).
    stream_name: Callable[[str], str] = str

    @property
    def tap(self) -> str:
        return f"tap-{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"TAP_{self.name.upper()}_"

    def streams(self, server: SandboxServer) -> list[str]:
        return list(server.app.resources())

    def keys(self, server: SandboxServer, stream: str) -> list[Any]:
        return sorted(row[self.key] for row in server.app.dump(stream))


def _greenhouse_env(server: SandboxServer) -> dict[str, str]:
    credentials = server.app.credentials()
    return {
        "TAP_GREENHOUSE_CLIENT_ID": credentials["client_id"],
        "TAP_GREENHOUSE_CLIENT_SECRET": credentials["client_secret"],
        "TAP_GREENHOUSE_API_URL": credentials["api_url"],
        "TAP_GREENHOUSE_AUTH_URL": credentials["auth_url"],
        "TAP_GREENHOUSE_START_DATE": "2015-01-01T00:00:00Z",
    }


GREENHOUSE = Vendor(
    name="greenhouse",
    key="id",
    env=_greenhouse_env,
    many_pages={"TAP_GREENHOUSE_PAGE_SIZE": "20"},
    bad_configs=[
        BadConfig("empty client_id", lambda s: {"TAP_GREENHOUSE_CLIENT_ID": ""}, "client_id"),
        BadConfig(
            "empty client_secret", lambda s: {"TAP_GREENHOUSE_CLIENT_SECRET": ""}, "client_secret"
        ),
        BadConfig(
            "wrong client_secret",
            lambda s: {"TAP_GREENHOUSE_CLIENT_SECRET": "wrong-secret"},
            "client_secret",
        ),
        BadConfig(
            "unknown client_id", lambda s: {"TAP_GREENHOUSE_CLIENT_ID": "nobody"}, "client_id"
        ),
        BadConfig(
            "unreachable token endpoint",
            lambda s: {"TAP_GREENHOUSE_AUTH_URL": f"http://127.0.0.1:{closed_port()}/token"},
            "auth_url",
        ),
        BadConfig(
            "malformed start_date",
            lambda s: {"TAP_GREENHOUSE_START_DATE": "yesterday-ish"},
            "start_date",
        ),
        BadConfig("negative page size", lambda s: {"TAP_GREENHOUSE_PAGE_SIZE": "-10"}, "page_size"),
        BadConfig(
            "page size above 500", lambda s: {"TAP_GREENHOUSE_PAGE_SIZE": "5000"}, "page_size"
        ),
        BadConfig(
            "api_url without scheme",
            lambda s: {"TAP_GREENHOUSE_API_URL": "harvest.greenhouse.io/v3"},
            "api_url",
        ),
        BadConfig(
            "negative lookback",
            lambda s: {"TAP_GREENHOUSE_LOOKBACK_MINUTES": "-5"},
            "lookback_minutes",
        ),
        BadConfig("user_id unknown", lambda s: {"TAP_GREENHOUSE_USER_ID": "99"}, "user_id"),
        BadConfig(
            "unknown stream selected",
            lambda s: {"TAP_GREENHOUSE__SELECT": '["no_such_stream.*"]'},
            "No stream is selected",
        ),
    ],
)


def _snake(entity: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", entity).lower()


def _bullhorn_env(server: SandboxServer) -> dict[str, str]:
    credentials = server.app.credentials()
    return {
        "TAP_BULLHORN_CLIENT_ID": credentials["client_id"],
        "TAP_BULLHORN_CLIENT_SECRET": credentials["client_secret"],
        "TAP_BULLHORN_USERNAME": credentials["username"],
        "TAP_BULLHORN_PASSWORD": credentials["password"],
        "TAP_BULLHORN_LOGIN_INFO_URL": credentials["login_info_url"],
        "TAP_BULLHORN_START_DATE": "2015-01-01T00:00:00Z",
    }


BULLHORN = Vendor(
    name="bullhorn",
    key="id",
    env=_bullhorn_env,
    stream_name=_snake,
    many_pages={"TAP_BULLHORN_PAGE_SIZE": "20"},
    bad_configs=[
        BadConfig("empty client_id", lambda s: {"TAP_BULLHORN_CLIENT_ID": ""}, "client_id"),
        BadConfig(
            "wrong client_secret",
            lambda s: {"TAP_BULLHORN_CLIENT_SECRET": "wrong-secret"},
            "client_secret",
        ),
        BadConfig("empty password", lambda s: {"TAP_BULLHORN_PASSWORD": ""}, "password"),
        BadConfig("wrong password", lambda s: {"TAP_BULLHORN_PASSWORD": "nope"}, "password"),
        BadConfig("unknown username", lambda s: {"TAP_BULLHORN_USERNAME": "ghost"}, "username"),
        BadConfig(
            "unreachable login info",
            lambda s: {
                "TAP_BULLHORN_LOGIN_INFO_URL": f"http://127.0.0.1:{closed_port()}/loginInfo"
            },
            "login_info_url",
        ),
        BadConfig(
            "malformed start_date", lambda s: {"TAP_BULLHORN_START_DATE": "soon"}, "start_date"
        ),
        BadConfig("negative page size", lambda s: {"TAP_BULLHORN_PAGE_SIZE": "-1"}, "page_size"),
        BadConfig(
            "negative lookback", lambda s: {"TAP_BULLHORN_LOOKBACK_MINUTES": "-3"}, "lookback"
        ),
        BadConfig(
            "unknown entity",
            lambda s: {"TAP_BULLHORN_ENTITIES": '["NoSuchEntity"]'},
            "NoSuchEntity",
        ),
    ],
)

VENDORS = [GREENHOUSE, BULLHORN]
