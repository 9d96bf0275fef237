"""Per-field product sync directions of a GP connection: parsed, and refused at start-up where GP cannot be written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from shared.config import (
    BcConnection,
    ConfigError,
    GpConnection,
    Settings,
    check_app_settings,
    load_settings,
    two_way_fields,
)
from shared.erp.gp.adapter import GpAdapter
from shared.erp.port import item_field_writer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS

pytestmark = pytest.mark.gp


@pytest.fixture
def gp_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    gp = {"KIND": "gp", "URL": "https://gp.example.com", "USERNAME": "GPDOM\\gpuser", "PASSWORD": "pw"}
    gp |= {"COMPANY_ID": "-1", "COMPANY_NAME": "Fabrikam, Inc."}
    for key, value in gp.items():
        monkeypatch.setenv(f"ERPS__office__{key}", value)
    return monkeypatch


def test_directions_default_to_gp_as_master(gp_env: pytest.MonkeyPatch) -> None:
    connection = check_app_settings(load_settings()).connection("office")
    assert isinstance(connection, GpConnection)
    assert connection.field_directions == {"name": "gp", "price": "gp"}
    assert two_way_fields(connection) == {}


def test_sba_takes_woo_and_both(gp_env: pytest.MonkeyPatch) -> None:
    gp_env.setenv("ERPS__office__TRANSPORT", "sba")
    gp_env.setenv("ERPS__office__NAME_DIRECTION", "Both")
    gp_env.setenv("ERPS__office__PRICE_DIRECTION", "woo")
    connection = check_app_settings(load_settings()).connection("office")
    assert two_way_fields(connection) == {"name": "both", "price": "woo"}


@pytest.mark.parametrize("setting", ["NAME_DIRECTION", "PRICE_DIRECTION"])
@pytest.mark.parametrize("direction", ["woo", "both"])
def test_a_direction_writing_to_gp_over_soap_refuses_to_start(
    gp_env: pytest.MonkeyPatch, setting: str, direction: str
) -> None:
    gp_env.setenv(f"ERPS__office__{setting}", direction)
    with pytest.raises(ConfigError) as refused:
        check_app_settings(load_settings())
    message = str(refused.value)
    assert f"ERPS__office__{setting}={direction}" in message
    assert "TRANSPORT=soap" in message and "no operation that updates an item" in message
    assert "ERPS__office__TRANSPORT=sba" in message


def test_an_unknown_direction_names_its_setting(gp_env: pytest.MonkeyPatch) -> None:
    gp_env.setenv("ERPS__office__PRICE_DIRECTION", "erp")
    with pytest.raises(ConfigError, match=r"ERPS__OFFICE__.*PRICE_DIRECTION: Input should be 'gp', 'woo' or 'both'"):
        load_settings()


def test_bc_has_no_two_way_fields() -> None:
    assert two_way_fields(BcConnection()) == {}


class _Transport:
    def __init__(self, name: str) -> None:
        self.name = name


def test_only_an_sba_gp_adapter_offers_item_field_writes() -> None:
    sba = GpAdapter(Settings(), GpConnection(transport="sba"), transport=_Transport("sba"))  # type: ignore[arg-type]
    soap = GpAdapter(Settings(), GpConnection(transport="soap"), transport=_Transport("soap"))  # type: ignore[arg-type]
    assert item_field_writer(sba) is sba
    assert item_field_writer(soap) is None
