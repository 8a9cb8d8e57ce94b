"""Singer tap for the Greenhouse Harvest API v3."""
