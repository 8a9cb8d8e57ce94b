"""The Singer SDK's standard tap tests, run against the Greenhouse sandbox."""

from __future__ import annotations

import atexit

from sandbox.core.registry import start_server
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_greenhouse.tap import TapGreenhouse

# One read-only sandbox for the generated tests (they need a config at import time).
_SERVER = start_server("greenhouse", records=120, seed=3)
atexit.register(_SERVER.stop)
_CREDENTIALS = _SERVER.app.credentials()

TestTapGreenhouse = get_tap_test_class(
    tap_class=TapGreenhouse,
    config={
        "client_id": _CREDENTIALS["client_id"],
        "client_secret": _CREDENTIALS["client_secret"],
        "api_url": _CREDENTIALS["api_url"],
        "auth_url": _CREDENTIALS["auth_url"],
        "start_date": "2015-01-01T00:00:00Z",
        "page_size": 50,
    },
    suite_config=SuiteConfig(max_records_limit=200, ignore_no_records=False),
)
