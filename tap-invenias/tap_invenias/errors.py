"""Errors the tap reports to the user as one line, without a traceback."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class InveniasError(FatalAPIError):
    """A fatal, explained problem: bad settings, refused credentials, broken API."""


class InveniasAuthError(InveniasError):
    """The identity server refused the credentials or could not be reached."""


class InveniasConfigError(InveniasError):
    """A setting is missing or malformed."""


class StreamForbiddenError(InveniasError):
    """Invenias answered 403 for an endpoint: the user's permission group lacks it."""
