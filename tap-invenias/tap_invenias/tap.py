"""tap-invenias: the Tap class, its settings and the stream catalog."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from functools import cached_property
from http import HTTPStatus
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from tap_invenias import schemas
from tap_invenias.auth import DEFAULT_SCOPE, InveniasAuthenticator
from tap_invenias.errors import InveniasConfigError, InveniasError
from tap_invenias.output import StateFlushingWriter
from tap_invenias.streams import (
    DEFAULT_MODIFIED_COLUMN,
    ENTITIES,
    IDENTITY_COLUMNS,
    LOOKUP_STREAMS,
    MAX_PAGE_SIZE,
    Entity,
    ListStream,
    LookupListEntriesStream,
    LookupListsStream,
    list_stream_class,
)
from tap_invenias.throttle import PUBLISHED_LIMIT, WINDOW_SECONDS, QuotaGate, ThrottledSession

# Four calls in flight hide most of the latency; more would only queue at the quota gate.
DEFAULT_PARALLEL_REQUESTS = 4
MAX_PARALLEL_REQUESTS = 16

if TYPE_CHECKING:
    import click

DISCOVERY_TIMEOUT_SECONDS = 120
# The enumerations `GET /api/v1/settings/{key}` serves, as the Invenias docs list them.
SETTING_NAMES = (
    "AllCompaniesProgressStatuses AllPeopleProgressStatuses AppointmentActionTypes "
    "AssignmentAdStatus AssignmentAdvertEmploymentType AssignmentCandidateGroups "
    "AssignmentCandidateStatus AssignmentClientRole AssignmentCompanyStatus "
    "AssignmentEmploymentType AssignmentFeeType AssignmentLostReasons AssignmentReferralStatus "
    "AssignmentResearchAssignmentStatus AssignmentResearchProgrammeStatus AssignmentStatus "
    "AssignmentWeighting CandidateContractTypes ClientContractTypes ClientSource CommissionType "
    "CompanyClientStatus CompanyRelationship CompanySize CompanySource CompanyTeamRole "
    "CompanyType ConsentEventTypes Currencies DataManagementPriorities "
    "DefaultCandidateProgressStatus DocumentType DurationPeriod EducationQualifications "
    "EmailActionTypes EngagementType FeedbackActionTypes GoogleAnalyticsKey InterimRateSettings "
    "InterviewActionTypes MaritalStatus Nationality NonExecPackageSettings NoteActionTypes "
    "OfferRejectedReasons PackageRatePeriod PaymentFrequencies PaymentType "
    "PermanentPackageSettings PersonAvailability PersonCandidateStatus PersonClientStatus "
    "PersonCustom1 PersonCustom2 PersonCustom3 PersonOfferStatus PersonPlacementStatus "
    "PersonPlacementType PersonPositionStatus PersonPositionType PlacementCancellationReasons "
    "PlacementOrigin PositionRole PriorityTypes ProgrammeTeamRole ProgressTrackingActionTypes "
    "ReferenceFormat ReferenceProgressStatus ReferenceType SentCurriculumVitaeActionTypes "
    "SentDocumentActionTypes Sex TaskActionTypes TeamRole TelephoneActionTypes"
).split()
LIST_STREAM_NAMES = [entity.stream for entity in ENTITIES] + ["lookup_list_entries"]
REFERENCE = {"Id": {"type": ["string", "null"]}, "ItemDisplayText": {"type": ["string", "null"]}}
# JSON schema of a discovered column by its ColumnType (unknown types accept anything).
COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": ["string", "null"]},
    "string": {"type": ["string", "null"]},
    "integer": {"type": ["integer", "null"]},
    "int32": {"type": ["integer", "null"]},
    "int64": {"type": ["integer", "null"]},
    "decimal": {"type": ["number", "null"]},
    "double": {"type": ["number", "null"]},
    "number": {"type": ["number", "null"]},
    "currency": {"type": ["number", "null"]},
    "checkbox": {"type": ["boolean", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "datetime": {"type": ["string", "null"], "format": "date-time"},
    "date": {"type": ["string", "null"], "format": "date-time"},
    "itemreference": {"type": ["object", "null"], "properties": REFERENCE},
    "combobox": {"type": ["object", "null"], "properties": REFERENCE},
    "itemreferencelist": {
        "type": ["array", "null"],
        "items": {"type": "object", "properties": REFERENCE},
    },
}


class TapInvenias(Tap):
    """Singer tap for the Bullhorn Invenias executive-search CRM API."""

    name = "tap-invenias"
    package_name = "recruiting-tap-invenias"
    dynamic_catalog = True
    message_writer_class = StateFlushingWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Client ID",
            description="ClientId of the third-party application registered in Invenias.",
        ),
        th.Property(
            "client_secret",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Client Secret",
            description="ClientSecret shown once when the application was created or renewed.",
        ),
        th.Property(
            "username",
            th.StringType(min_length=1),
            required=True,
            title="Username",
            description="Licensed Invenias user signing in with the Invenias identity provider.",
        ),
        th.Property(
            "password",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="Password",
            description="That user's password (password grant, FlowType ResourceOwner).",
        ),
        th.Property(
            "subdomain",
            th.StringType(min_length=1),
            required=True,
            title="Subdomain",
            description="Your tenant: {subdomain}.invenias.com.",
        ),
        th.Property(
            "base_url",
            th.StringType(min_length=1),
            title="Base URL",
            description="Override of https://{subdomain}.invenias.com (tests, proxies).",
        ),
        th.Property(
            "scope",
            th.StringType(min_length=1),
            default=DEFAULT_SCOPE,
            title="Scope",
            description="OAuth scope of the token request.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description="Earliest modification date to replicate on the first run (RFC 3339).",
        ),
        th.Property(
            "lookback_minutes",
            th.IntegerType(minimum=0),
            default=10,
            title="Lookback (minutes)",
            description="Re-read rows modified this many minutes before the bookmark.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
            default=MAX_PAGE_SIZE,
            title="Page Size",
            description="Rows per list call (PageSize, at most 1000).",
        ),
        th.Property(
            "select_columns",
            th.ObjectType(additional_properties=th.ArrayType(th.StringType)),
            title="Columns per Stream",
            description=(
                'Columns to request per list stream, e.g. {"people": ["FileAs", '
                '"Email1Address"]}. Default: every column the tenant exposes.'
            ),
        ),
        th.Property(
            "modified_columns",
            th.ObjectType(additional_properties=th.StringType),
            title="Modification Column per Stream",
            description=(
                "Replication key column per list stream; default DateModified. Set it when "
                "your tenant names the modification date differently."
            ),
        ),
        th.Property(
            "setting_names",
            th.ArrayType(th.StringType),
            title="Setting Names",
            description="Enumerations the settings stream reads (default: all documented).",
        ),
        th.Property(
            "max_requests_per_window",
            th.IntegerType(minimum=1),
            default=PUBLISHED_LIMIT,
            title="Max Calls per Window",
            description="Calls per quota window the tap allows itself (Invenias: 3000 / 5 min).",
        ),
        th.Property(
            "quota_window_seconds",
            th.NumberType(minimum=1),
            default=WINDOW_SECONDS,
            title="Quota Window (seconds)",
            description="Length of the Invenias quota window (300 s).",
        ),
        th.Property(
            "parallel_requests",
            th.IntegerType(minimum=1, maximum=MAX_PARALLEL_REQUESTS),
            default=DEFAULT_PARALLEL_REQUESTS,
            title="Parallel Requests",
            description=(
                "Calls in flight at once: the pages of a list window, or the settings "
                "enumerations. Rows are still emitted in order and every call waits for the "
                "quota gate. 1 reads one page at a time."
            ),
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=1),
            default=8,
            title="Max Tries",
            description="Attempts per call on 429, 5xx and connection errors.",
        ),
    ).to_dict()

    # -- shared run objects ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """`base_url`, or the tenant URL built from `subdomain`."""
        configured = self.config.get("base_url")
        if configured:
            return str(configured).rstrip("/")
        return f"https://{self.config['subdomain']}.invenias.com"

    @cached_property
    def invenias_authenticator(self) -> InveniasAuthenticator:
        """One authenticator, hence one token, for every stream."""
        return InveniasAuthenticator(
            auth_endpoint=f"{self.base_url}/identity/connect/token",
            client_id=str(self.config["client_id"]),
            client_secret=str(self.config["client_secret"]),
            username=str(self.config["username"]),
            password=str(self.config["password"]),
            subdomain=str(self.config["subdomain"]),
            scope=str(self.config.get("scope") or DEFAULT_SCOPE),
        )

    @cached_property
    def quota_gate(self) -> QuotaGate:
        """The pacing shared by every call of the run."""
        return QuotaGate(
            int(self.config.get("max_requests_per_window") or PUBLISHED_LIMIT),
            float(self.config.get("quota_window_seconds") or WINDOW_SECONDS),
        )

    @cached_property
    def throttled_session(self) -> ThrottledSession:
        """HTTP session shared by all streams (and discovery)."""
        return ThrottledSession(self.quota_gate)

    @property
    def parallel_requests(self) -> int:
        """How many calls may be in flight at once."""
        return int(self.config.get("parallel_requests") or DEFAULT_PARALLEL_REQUESTS)

    @property
    def setting_names(self) -> list[str]:
        """Enumerations the settings stream reads."""
        return list(self.config.get("setting_names") or SETTING_NAMES)

    # -- config -----------------------------------------------------------------------------------
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """Schema validation, plus the checks jsonschema does not do (formats, names)."""
        errors = super()._validate_config(raise_errors=raise_errors)
        extra = _semantic_errors(self.config)
        if extra and raise_errors:
            raise ConfigValidationError(
                "Config validation failed", errors=extra, schema=self.config_jsonschema
            )
        return errors + extra

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the tap; a catalog that selects no stream is a configuration mistake."""
        super().__init__(*args, **kwargs)
        if self.input_catalog and not any(s.selected for s in self.streams.values()):
            msg = (
                "No stream is selected: the catalog or the `select` patterns match none of "
                f"the tap's streams ({', '.join(sorted(self.streams))})."
            )
            raise InveniasConfigError(msg)

    # -- catalog ----------------------------------------------------------------------------------
    def discover_streams(self) -> list[Stream]:
        """List streams (columns learned from the tenant when credentials are set), lookups."""
        online = all(
            self.config.get(key)
            for key in ("client_id", "client_secret", "username", "password", "subdomain")
        )
        streams: list[Stream] = []
        for entity in ENTITIES:
            stream_class = LookupListsStream if entity.stream == "lookup_lists" else None
            schema = self._list_schema(entity, online=online)
            streams.append((stream_class or list_stream_class(entity))(tap=self, schema=schema))
        entries = LookupListEntriesStream.entity
        streams.append(LookupListEntriesStream(tap=self, schema=self._list_schema(entries)))
        streams.extend(stream_class(tap=self) for stream_class in LOOKUP_STREAMS)
        return streams

    def _list_schema(self, entity: Entity, *, online: bool = False) -> dict[str, Any]:
        packaged = resources.files(schemas).joinpath(f"{entity.stream}.json")
        schema: dict[str, Any] = json.loads(packaged.read_text(encoding="utf-8"))
        properties: dict[str, Any] = schema["properties"]
        modified = None
        if entity.incremental:
            modified = str(
                (self.config.get("modified_columns") or {}).get(
                    entity.stream, DEFAULT_MODIFIED_COLUMN
                )
            )
            properties.setdefault(modified, COLUMN_TYPES["datetime"])
        available = self._available_columns(entity) if online else None
        if available is not None:
            names = {column for column, _ in available}
            if modified and modified not in names:
                msg = (
                    f"`{entity.stream}` has no column {modified!r} to replicate by; set "
                    "`modified_columns` to the tenant's modification-date column."
                )
                raise InveniasConfigError(msg)
            properties = {
                name: value
                for name, value in properties.items()
                if name in names or name in IDENTITY_COLUMNS
            }
            for column, column_type in available:
                if column not in properties:
                    properties[column] = dict(COLUMN_TYPES.get(column_type.lower(), {}))
        wanted = (self.config.get("select_columns") or {}).get(entity.stream)
        if wanted:
            unknown = [name for name in wanted if name not in properties]
            if unknown:
                msg = (
                    f"select_columns for `{entity.stream}` names unknown columns: "
                    f"{', '.join(unknown)}"
                )
                raise InveniasConfigError(msg)
            keep = {*IDENTITY_COLUMNS, *wanted, *([modified] if modified else [])}
            properties = {name: value for name, value in properties.items() if name in keep}
        schema["properties"] = properties
        return schema

    def _available_columns(self, entity: Entity) -> list[tuple[str, str]] | None:
        """(name, ColumnType) of every column the tenant's list exposes, or None if unknown.

        429, 5xx and connection errors are retried: a schema must not silently lose the
        tenant's custom columns because of one flaky answer.
        """
        url = f"{self.base_url}/api/v1/{entity.path}/list"
        body = {"PageSize": 1, "IncludeAvailableColumns": True}
        failure = "no answer"
        attempts = int(self.config.get("max_retries") or 8)
        for attempt in range(attempts):
            auth = self.invenias_authenticator
            try:
                response = self.throttled_session.post(
                    url, json=body, headers=auth.bearer_header(), timeout=DISCOVERY_TIMEOUT_SECONDS
                )
            except requests.RequestException as exc:
                failure = type(exc).__name__
            else:
                status = response.status_code
                if status == HTTPStatus.OK:
                    auth.note_success()
                    return _parse_columns(response)
                if status == HTTPStatus.UNAUTHORIZED:
                    auth.reject(response.request.headers.get("Authorization"))
                    continue
                if status in {HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND}:
                    self.logger.warning(
                        "Cannot read the columns of %s (HTTP %s); using the packaged schema.",
                        entity.stream,
                        status,
                    )
                    return None
                if status != HTTPStatus.TOO_MANY_REQUESTS and status < 500:
                    msg = f"Invenias answered {status} while discovering `{entity.stream}`"
                    raise InveniasError(msg)
                failure = f"HTTP {status}"
                if status == HTTPStatus.TOO_MANY_REQUESTS:
                    continue  # the quota gate already holds the next call for Retry-After
            time.sleep(min(30.0, 2.0**attempt))
        msg = (
            f"Cannot discover the columns of `{entity.stream}` after {attempts} attempts: {failure}"
        )
        raise InveniasError(msg)

    # -- CLI --------------------------------------------------------------------------------------
    @classmethod
    def cb_discover(cls, ctx: click.Context, param: click.Option, value: bool) -> None:
        """`--discover` (Meltano runs it before every sync) ends in one clear line too."""
        try:
            super().cb_discover(ctx, param, value)
        except InveniasError as exc:
            cls.logger.error("%s", exc)
            ctx.exit(1)

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run the CLI; known failures end with one clear line instead of a traceback."""
        try:
            super().invoke(*args, **kwargs)
        except InveniasError as exc:
            cls.logger.error("%s", exc)
            sys.exit(1)
        except RetriableAPIError as exc:
            cls.logger.error("Invenias kept failing after every retry: %s", exc)
            sys.exit(1)
        except FatalAPIError as exc:
            cls.logger.error("Invenias API error: %s", exc)
            sys.exit(1)


def _parse_columns(response: requests.Response) -> list[tuple[str, str]] | None:
    try:
        payload = response.json()
    except ValueError:
        return None
    entries = payload.get("AvailableColumns") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        return None
    columns: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, str):
            columns.append((entry, ""))
        elif isinstance(entry, dict):
            name = entry.get("FieldName") or entry.get("Name") or entry.get("Selector")
            kind = entry.get("ColumnType") or entry.get("DataType") or ""
            if name:
                columns.append((str(name), str(kind)))
    return columns


def _semantic_errors(config: Any) -> list[str]:
    errors: list[str] = []
    start = config.get("start_date")
    if start:
        try:
            datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        except ValueError:
            errors.append(
                f"start_date {start!r} is not an RFC 3339 date-time (e.g. 2024-01-01T00:00:00Z)"
            )
    url = config.get("base_url")
    if url:
        parsed = urlparse(str(url))
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            errors.append(f"base_url {url!r} is not an http(s) URL")
    subdomain = str(config.get("subdomain") or "")
    if subdomain and ("/" in subdomain or "." in subdomain):
        errors.append(f"subdomain {subdomain!r} must be the tenant name only (no dots or slashes)")
    for key in ("select_columns", "modified_columns"):
        unknown = sorted(set(config.get(key) or {}) - set(LIST_STREAM_NAMES))
        if unknown:
            errors.append(
                f"{key} names unknown streams {unknown}; list streams: "
                f"{', '.join(LIST_STREAM_NAMES)}"
            )
    return errors


__all__ = ["ListStream", "TapInvenias"]
