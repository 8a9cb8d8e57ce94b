"""Errors the tap reports to the user as one line, without a traceback."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class BullhornError(FatalAPIError):
    """A fatal, explained problem: bad settings, refused credentials, broken API."""


class BullhornAuthError(BullhornError):
    """The login chain (loginInfo, authorize, token, login) failed."""


class BullhornConfigError(BullhornError):
    """A setting is missing or malformed."""


class EntityForbiddenError(BullhornError):
    """Bullhorn answered 403 for an entity: the API user lacks the entitlement."""
