"""The Singer SDK's standard tap tests, run against an in-process Invenias sandbox."""

from __future__ import annotations

import atexit

from invenias_helpers import tap_config
from sandbox.core.registry import start_server
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_invenias.tap import TapInvenias

# The suite is generated at import time, so its sandbox starts at import time too.
_SERVER = start_server("invenias", records=40, seed=3)
atexit.register(_SERVER.stop)

TestTapInvenias = get_tap_test_class(
    tap_class=TapInvenias,
    config=tap_config(_SERVER),
    suite_config=SuiteConfig(max_records_limit=60, ignore_no_records=False),
)
