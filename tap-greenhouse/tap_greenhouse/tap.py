"""tap-greenhouse: the Tap class, its settings and its streams."""

from __future__ import annotations

import sys
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from tap_greenhouse.auth import GreenhouseAuthenticator
from tap_greenhouse.client import GreenhouseStream
from tap_greenhouse.errors import GreenhouseConfigError, GreenhouseError
from tap_greenhouse.output import StateFlushingWriter
from tap_greenhouse.streams import STREAM_TYPES
from tap_greenhouse.throttle import RateLimitGate, ThrottledSession

MAX_PAGE_SIZE = 500


class TapGreenhouse(Tap):
    """Singer tap for the Greenhouse Harvest API v3."""

    name = "tap-greenhouse"
    package_name = "recruiting-tap-greenhouse"
    message_writer_class = StateFlushingWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Client ID",
            description="Harvest V3 (OAuth) client ID (Greenhouse Dev Center > API Credentials).",
        ),
        th.Property(
            "client_secret",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Client Secret",
            description="Client secret shown once when the Harvest V3 credential was created.",
        ),
        th.Property(
            "user_id",
            th.IntegerType(minimum=1),
            title="Acting User ID",
            description=(
                "Greenhouse user id sent as `sub` in the token request; the token acts with "
                "this user's permissions. List endpoints need a Site Admin. Leave empty to act "
                "as the credential's integration user."
            ),
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "Earliest `updated_at` to replicate on the first run (RFC 3339, e.g. "
                "2020-01-01T00:00:00Z). Empty means all history."
            ),
        ),
        th.Property(
            "api_url",
            th.StringType(min_length=1),
            default="https://harvest.greenhouse.io/v3",
            title="API URL",
            description="Harvest v3 base URL.",
        ),
        th.Property(
            "auth_url",
            th.StringType(min_length=1),
            default="https://auth.greenhouse.io/token",
            title="Token URL",
            description="OAuth 2.0 token endpoint.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
            default=MAX_PAGE_SIZE,
            title="Page Size",
            description=f"Rows per page (`per_page`), 1 to {MAX_PAGE_SIZE}.",
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType(minimum=0),
            default=10,
            title="Lookback (minutes)",
            description=(
                "Incremental runs re-read rows updated this many minutes before the bookmark, "
                "to catch rows committed late. Targets upsert on `id`, so the overlap is free."
            ),
        ),
        th.Property(
            "skip_forbidden_streams",
            th.BooleanType,
            default=True,
            title="Skip Forbidden Streams",
            description=(
                "When Greenhouse answers 403 for a resource (scope not granted), log a warning "
                "and go on with the other streams. When false, the run fails instead."
            ),
        ),
        th.Property(
            "max_requests_per_window",
            th.IntegerType(minimum=1),
            title="Max Requests per 30 s",
            description=(
                "Cap on requests per 30-second window, below your account's limit, to leave "
                "room for other integrations. By default the tap paces itself from the "
                "X-RateLimit-* headers."
            ),
        ),
    ).to_dict()

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Schema validation, plus the formats jsonschema does not enforce."""
        errors = super()._validate_config(raise_errors=raise_errors)
        extra = _semantic_errors(self.config)
        if extra and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=extra, schema=self.config_jsonschema
            )
        return errors + extra

    @cached_property
    def greenhouse_authenticator(self) -> GreenhouseAuthenticator:
        """One authenticator, hence one token, for all streams."""
        return GreenhouseAuthenticator(
            auth_endpoint=str(self.config["auth_url"]),
            client_id=str(self.config["client_id"]),
            client_secret=str(self.config["client_secret"]),
            user_id=self.config.get("user_id"),
        )

    @cached_property
    def rate_limit_gate(self) -> RateLimitGate:
        """The pacing shared by every request of the run."""
        return RateLimitGate(self.config.get("max_requests_per_window"))

    @cached_property
    def throttled_session(self) -> ThrottledSession:
        """HTTP session shared by all streams."""
        return ThrottledSession(self.rate_limit_gate)

    def discover_streams(self) -> list[GreenhouseStream]:
        """Every Harvest v3 list endpoint the tap reads."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the tap; a catalog that selects no stream is a configuration mistake."""
        super().__init__(*args, **kwargs)
        if self.input_catalog and not any(s.selected for s in self.streams.values()):
            msg = (
                "No stream is selected: the catalog or the `select` patterns match none of "
                f"the tap's streams ({', '.join(sorted(self.streams))})."
            )
            raise GreenhouseConfigError(msg)

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the CLI; known failures end with one clear line instead of a traceback."""
        try:
            super().invoke(*args, **kwargs)
        except GreenhouseError as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)


def _semantic_errors(config: Any) -> list[str]:
    errors = []
    start_date = config.get("start_date")
    if start_date:
        try:
            datetime.fromisoformat(str(start_date).replace("Z", "+00:00"))
        except ValueError:
            errors.append(
                f"start_date {start_date!r} is not an RFC 3339 date-time "
                "(expected e.g. 2024-01-01T00:00:00Z)"
            )
    for key in ("api_url", "auth_url"):
        value = config.get(key)
        if value:
            parsed = urlparse(str(value))
            if parsed.scheme not in {"http", "https"} or not parsed.netloc:
                errors.append(f"{key} {value!r} is not an http(s) URL")
    return errors


if __name__ == "__main__":
    TapGreenhouse.cli()
