"""Bullhorn Invenias API stand-in."""

from sandbox.invenias.app import InveniasApp

# "up to 3000 api calls can be made at any interval within a 5 minute window" (fixed window).
PUBLISHED_RATE_LIMIT = (3000, 300.0)


def create_app(records: int = 1000, seed: int = 1) -> InveniasApp:
    """An Invenias stand-in with about `records` people (other entities scale from it)."""
    return InveniasApp(records=records, seed=seed)


__all__ = ["PUBLISHED_RATE_LIMIT", "InveniasApp", "create_app"]
