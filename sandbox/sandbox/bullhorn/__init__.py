"""Bullhorn REST stand-in."""

from sandbox.bullhorn.app import BullhornApp

# Bullhorn's API usage limits: 1,500 calls per minute per corporation.
PUBLISHED_RATE_LIMIT = (1500, 60.0)


def create_app(records: int = 1000, seed: int = 1) -> BullhornApp:
    """A Bullhorn stand-in with about `records` candidates (other entities scale from it)."""
    return BullhornApp(records=records, seed=seed)


__all__ = ["PUBLISHED_RATE_LIMIT", "BullhornApp", "create_app"]
