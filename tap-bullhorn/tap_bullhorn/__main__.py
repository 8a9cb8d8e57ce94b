"""Run the tap with `python -m tap_bullhorn`."""

from tap_bullhorn.tap import TapBullhorn

TapBullhorn.cli()
