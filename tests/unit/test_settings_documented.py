"""Every setting the code reads is in local.settings.example.json and the README's configuration reference."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shared.config import app_setting_names

REPO = Path(__file__).resolve().parents[2]


def example_values() -> dict[str, str]:
    return json.loads((REPO / "local.settings.example.json").read_text())["Values"]


def test_example_settings_are_strings_for_the_python_worker() -> None:
    values = example_values()
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert all(isinstance(value, str) for value in values.values())
    assert "AzureWebJobsStorage" in values


def test_example_settings_cover_every_setting() -> None:
    values = example_values()
    missing = [name for name in app_setting_names("main") if name not in values]
    assert missing == []


def test_example_has_no_setting_the_code_does_not_read() -> None:
    known = set(app_setting_names("main")) | {"FUNCTIONS_WORKER_RUNTIME"}
    assert sorted(set(example_values()) - known) == []


def test_readme_configuration_reference_lists_every_setting() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)`", section, flags=re.MULTILINE))
    missing = [name for name in app_setting_names() if name not in listed]
    assert missing == []


def test_local_settings_json_is_git_ignored() -> None:
    assert "local.settings.json" in (REPO / ".gitignore").read_text().split()


def test_readme_configuration_reference_lists_every_gp_connection_setting() -> None:
    from shared.config import GpConnection

    readme = (REPO / "README.md").read_text()
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+)`", section, flags=re.MULTILINE))
    missing = [f"ERPS__<connection>__{name.upper()}" for name in GpConnection.model_fields]
    assert [name for name in missing if name not in listed] == []
