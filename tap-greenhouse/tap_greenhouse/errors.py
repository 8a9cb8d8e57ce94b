"""Errors the tap reports to the user as one line, without a traceback."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class GreenhouseError(FatalAPIError):
    """A fatal, explained problem: bad settings, refused credentials, broken API."""


class GreenhouseAuthError(GreenhouseError):
    """The token endpoint refused or could not be reached."""


class GreenhouseConfigError(GreenhouseError):
    """A setting is missing or malformed."""


class StreamForbiddenError(GreenhouseError):
    """Greenhouse answered 403 for a resource: scope missing or user not a Site Admin."""
