"""Allow `python -m tap_greenhouse`."""

from tap_greenhouse.tap import TapGreenhouse

TapGreenhouse.cli()
