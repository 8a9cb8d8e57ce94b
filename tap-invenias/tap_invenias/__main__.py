"""`python -m tap_invenias` runs the tap's CLI."""

from tap_invenias.tap import TapInvenias

TapInvenias.cli()
