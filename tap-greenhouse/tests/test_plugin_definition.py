"""plugin.yml (the Meltano Hub definition) must describe the settings the tap accepts."""

from __future__ import annotations

from pathlib import Path

import yaml
from tap_greenhouse.tap import TapGreenhouse

PLUGIN_FILE = Path(__file__).parents[1] / "plugin.yml"


def test_plugin_settings_match_the_tap_settings():
    plugin = yaml.safe_load(PLUGIN_FILE.read_text())
    schema = TapGreenhouse.config_jsonschema["properties"]
    declared = {setting["name"]: setting for setting in plugin["settings"]}

    own_settings = set(schema)
    assert own_settings <= set(declared)
    for name in own_settings:
        assert declared[name].get("sensitive", False) == schema[name].get("secret", False), name
        if "default" in schema[name]:
            assert declared[name]["value"] == schema[name]["default"], name
    assert plugin["settings_group_validation"] == [TapGreenhouse.config_jsonschema["required"]]
    assert plugin["executable"] == TapGreenhouse.name
    assert plugin["namespace"] == "tap_greenhouse"
    assert plugin["pip_url"].endswith("#subdirectory=tap-greenhouse")
