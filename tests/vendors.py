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
    # The primary key's column name in PostgreSQL when it is not the key in lower case.
    pg_key: str = ""
    # How far the rate-limit test shrinks the published window (same rate), and the tap
    # settings that tell the tap about the shrunken window.
    rate_limit_scale: int = 10
    pacing_env: Callable[[int, float], dict[str, str]] = lambda limit, window: {}
    # The incremental test's source changes, as (action, resource, count), all on one
    # resource, and that resource's modification timestamp field in the sandbox.
    changes: tuple[tuple[str, str, int], ...] = ()
    modified_field: str = ""

    @property
    def tap(self) -> str:
        return f"tap-{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"TAP_{self.name.upper()}_"

    @property
    def pg_key_column(self) -> str:
        return self.pg_key or self.key.lower()

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
    # Harvest's soft delete on users is deactivation (`deactivated: true`).
    changes=(("insert", "users", 2), ("update", "users", 3), ("soft_delete", "users", 2)),
    modified_field="updated_at",
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
    changes=(
        ("insert", "Candidate", 2),
        ("update", "Candidate", 3),
        ("soft_delete", "Candidate", 2),
    ),
    modified_field="dateLastModified",
    pacing_env=lambda limit, window: {
        "TAP_BULLHORN_MAX_REQUESTS_PER_MINUTE": str(limit),
        "TAP_BULLHORN_RATE_LIMIT_WINDOW_SECONDS": str(int(window)),
    },
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


def _invenias_env(server: SandboxServer) -> dict[str, str]:
    credentials = server.app.credentials()
    return {
        "TAP_INVENIAS_CLIENT_ID": credentials["client_id"],
        "TAP_INVENIAS_CLIENT_SECRET": credentials["client_secret"],
        "TAP_INVENIAS_USERNAME": credentials["username"],
        "TAP_INVENIAS_PASSWORD": credentials["password"],
        "TAP_INVENIAS_SUBDOMAIN": credentials["subdomain"],
        "TAP_INVENIAS_BASE_URL": credentials["base_url"],
        "TAP_INVENIAS_START_DATE": "2015-01-01T00:00:00Z",
    }


INVENIAS_STREAMS = {"lookuplists": "lookup_lists", "lookuplistentries": "lookup_list_entries"}


def _invenias_bad(case: str, setting: str, value: str, names: str | None = None) -> BadConfig:
    return BadConfig(case, lambda s: {f"TAP_INVENIAS_{setting.upper()}": value}, names or setting)


INVENIAS = Vendor(
    name="invenias",
    key="ItemId",
    pg_key="ItemId",
    env=_invenias_env,
    stream_name=lambda resource: INVENIAS_STREAMS.get(resource, resource),
    many_pages={"TAP_INVENIAS_PAGE_SIZE": "20"},
    # Invenias deletes are permanent and the API has no deleted-items feed: no soft delete.
    changes=(("insert", "people", 2), ("update", "people", 3)),
    modified_field="DateModified",
    # 3000 calls per 300 s becomes 30 per 3 s: the sync spans several windows.
    rate_limit_scale=100,
    pacing_env=lambda limit, window: {
        "TAP_INVENIAS_MAX_REQUESTS_PER_WINDOW": str(limit),
        "TAP_INVENIAS_QUOTA_WINDOW_SECONDS": str(int(window)),
    },
    bad_configs=[
        _invenias_bad("empty client_id", "client_id", ""),
        _invenias_bad("wrong client_secret", "client_secret", "wrong-secret", "client_secret"),
        _invenias_bad("empty password", "password", ""),
        _invenias_bad("wrong password", "password", "nope", "password"),
        _invenias_bad("unknown username", "username", "ghost@nowhere.example", "username"),
        BadConfig(
            "unreachable host",
            lambda s: {"TAP_INVENIAS_BASE_URL": f"http://127.0.0.1:{closed_port()}"},
            "base_url",
        ),
        _invenias_bad("malformed start_date", "start_date", "soon"),
        _invenias_bad("negative page size", "page_size", "-1"),
        _invenias_bad("page size above 1000", "page_size", "1001"),
        _invenias_bad("negative lookback", "lookback_minutes", "-3"),
        _invenias_bad("subdomain with dots", "subdomain", "acme.invenias.com", "subdomain"),
        _invenias_bad(
            "unknown modification column",
            "modified_columns",
            '{"people": "LastEdited"}',
            "LastEdited",
        ),
        BadConfig(
            "unknown stream selected",
            lambda s: {"TAP_INVENIAS__SELECT": '["no_such_stream.*"]'},
            "No stream is selected",
        ),
    ],
)

VENDORS = [GREENHOUSE, BULLHORN, INVENIAS]
