"""The Singer SDK's standard tap tests, run against an in-process Bullhorn sandbox."""

from __future__ import annotations

import atexit

from bullhorn_helpers import FAST
from sandbox.core.registry import start_server
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_bullhorn.tap import TapBullhorn

# The suite is generated at import time, so its sandbox starts at import time too.
_SERVER = start_server("bullhorn", records=40, seed=3)
atexit.register(_SERVER.stop)

SAMPLE_CONFIG = {
    **_SERVER.app.credentials(),
    "max_requests_per_minute": FAST,
    "start_date": "2019-01-01T00:00:00Z",
}

TestTapBullhorn = get_tap_test_class(
    tap_class=TapBullhorn,
    config=SAMPLE_CONFIG,
    suite_config=SuiteConfig(max_records_limit=50, ignore_no_records=False),
)
