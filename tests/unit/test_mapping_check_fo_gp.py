"""`connector mapping check` on F&O and GP connections: each file is held to its own ERP (F&O's CDM entities; GP's
WSDL objects for the connection's document type and transport), with the file's line and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli import main

pytestmark = [pytest.mark.fo, pytest.mark.gp]

FO_MAPPING = """\
version: 1
document:
  RequestedReceiptDate: {from: meta._delivery_date, transforms: [{date: "%d/%m/%Y"}]}
  OrderTotalAmount: {const: "0"}
"""
GP_MAPPING = """\
version: 1
document:
  UserDefined.Text01: {from: meta._po_number}
customer:
  Comment1: {from: meta._billing_vat}
"""


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, Path]:
    fo, gp = tmp_path / "fo.yaml", tmp_path / "gp.yaml"
    fo.write_text(FO_MAPPING, encoding="utf-8")
    gp.write_text(GP_MAPPING, encoding="utf-8")
    for key, value in {
        "ERPS__fo1__KIND": "fo", "ERPS__fo1__ENVIRONMENT_URL": "https://fo.example", "ERPS__fo1__DATA_AREA_ID": "usmf",
        "ERPS__gp1__KIND": "gp", "ERPS__gp1__URL": "https://gp.example", "ERPS__gp1__DOCUMENT_TYPE": "sop_order",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    return fo, gp


def test_both_default_mappings_fit(connections, capsys):
    assert main(["mapping", "check"]) == 0
    out = capsys.readouterr().out
    assert "fo1: (the default mapping) fits (0 document, 0 line, 0 customer field(s); 0 comment(s)" in out
    assert "gp1: (the default mapping) fits (0 document, 0 line, 0 customer field(s); 0 comment(s)" in out


def test_each_file_is_checked_against_its_own_erp(connections, monkeypatch, capsys):
    fo, gp = connections
    monkeypatch.setenv("ERPS__fo1__MAPPING_FILE", str(fo))
    monkeypatch.setenv("ERPS__gp1__MAPPING_FILE", str(gp))
    assert main(["mapping", "check"]) == 1
    out = capsys.readouterr().out
    assert f"fo1: {fo} (ERPS__fo1__MAPPING_FILE) does not fit:" in out
    assert f"{fo}:4: 'OrderTotalAmount' on SalesOrderHeaderV2 is read-only: the ERP computes it" in out
    assert f"gp1: {gp} fits (1 document, 0 line, 1 customer field(s); 0 comment(s)" in out

    assert main(["mapping", "check", "--erp", "gp1", "--file", str(fo), "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["connection"] == "gp1" and result["problems"] == [
        f"{fo}:3: SalesOrder has no property 'RequestedReceiptDate' (did you mean 'RequestedShipDate'?)",
        f"{fo}:4: SalesOrder has no property 'OrderTotalAmount' (did you mean 'TotalAmount'?)",
    ]


def test_gp_over_sba_refuses_what_the_sba_shapes_do_not_carry(connections, monkeypatch, capsys):
    _, gp = connections
    for key, value in {
        "TRANSPORT": "sba",
        "DOCUMENT_TYPE": "rm",
        "COMPANY_NAME": "Fabrikam",
        "MAPPING_FILE": str(gp),
    }.items():
        monkeypatch.setenv(f"ERPS__gp1__{key}", value)
    assert main(["mapping", "check", "--erp", "gp1"]) == 1
    out = capsys.readouterr().out
    assert f"{gp}:3: ReceivablesInvoice has no property 'UserDefined.Text01'" in out
    assert f"{gp}:5: 'Comment1' on Customer is not carried over SBA" in out
