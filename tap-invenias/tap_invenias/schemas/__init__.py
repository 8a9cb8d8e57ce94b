"""Packaged JSON schemas, one per stream, from the columns the Invenias docs show."""
