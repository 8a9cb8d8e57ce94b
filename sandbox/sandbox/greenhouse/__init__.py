"""Greenhouse Harvest v3 stand-in."""

from sandbox.greenhouse.app import GreenhouseApp

# Harvest v3 meters a fixed 30-second window; the docs' example header shows 75.
PUBLISHED_RATE_LIMIT = (75, 30.0)


def create_app(records: int = 1000, seed: int = 1) -> GreenhouseApp:
    """A Harvest v3 stand-in with about `records` candidates and applications."""
    return GreenhouseApp(records=records, seed=seed)


__all__ = ["PUBLISHED_RATE_LIMIT", "GreenhouseApp", "create_app"]
