"""The CLI's argument handling and environment (no storage needed)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from shared.cli import CliError, apply_environment, build_parser, load_local_settings, main, parse_day, parse_since


@pytest.fixture
def restore_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_since_is_utc() -> None:
    assert parse_since("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_since("2026-05-01T08:00Z") == datetime(2026, 5, 1, 8, tzinfo=UTC)
    assert parse_since("2026-05-01T10:00+02:00") == datetime(2026, 5, 1, 8, tzinfo=UTC)
    with pytest.raises(CliError, match="ISO"):
        parse_since("yesterday")


def test_day_defaults_to_yesterday_utc() -> None:
    assert parse_day("2026-05-01") == date(2026, 5, 1)
    assert parse_day(None) == datetime.now(UTC).date() - timedelta(days=1)
    with pytest.raises(CliError):
        parse_day("01/05/2026")


def test_options_go_before_or_after_the_command() -> None:
    parser = build_parser()
    before = parser.parse_args(["--connection-string", "X", "replay", "--order", "main/1"])
    after = parser.parse_args(["replay", "--order", "main/1", "--connection-string", "X"])
    assert before.connection_string == after.connection_string == "X"
    assert before.queue == "woo-events" and after.order == "main/1"
    with pytest.raises(SystemExit) as both:
        parser.parse_args(["replay", "--id", "a", "--order", "main/1"])
    assert both.value.code == 1


def test_settings_file_never_overrides_the_environment(tmp_path: Path, monkeypatch, restore_environment) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"Values": {"AzureWebJobsStorage": "from-file", "TOTAL_TOLERANCE": "0.05"}}))
    assert load_local_settings(path) == {"AzureWebJobsStorage": "from-file", "TOTAL_TOLERANCE": "0.05"}
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)  # an end-to-end stack may have set it
    monkeypatch.setenv("TOTAL_TOLERANCE", "0.02")
    apply_environment(build_parser().parse_args(["status", "--settings", str(path)]))
    assert os.environ["AzureWebJobsStorage"] == "from-file" and os.environ["TOTAL_TOLERANCE"] == "0.02"


def test_account_name_switches_to_identity(monkeypatch, restore_environment) -> None:
    monkeypatch.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    apply_environment(build_parser().parse_args(["status", "--account-name", "contosoconnector"]))
    assert "AzureWebJobsStorage" not in os.environ
    assert os.environ["AzureWebJobsStorage__accountName"] == "contosoconnector"


def test_bad_settings_files_are_clear_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CliError, match="not valid JSON"):
        load_local_settings(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(CliError, match="Values"):
        load_local_settings(empty)


def test_help_exits_0_and_usage_errors_exit_1(capsys) -> None:
    with pytest.raises(SystemExit) as helped:
        main(["--help"])
    assert helped.value.code == 0
    assert "reconcile" in capsys.readouterr().out
    with pytest.raises(SystemExit) as unknown:
        main(["frobnicate"])
    assert unknown.value.code == 1
