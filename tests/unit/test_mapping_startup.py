"""A connection's mapping at work outside the pure engine: start-up refuses a broken one (naming the
setting, the file's line and the reason), `connector mapping check` says the same, and the mapping's
status rules decide what posts, cancels or is ignored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from shared.cli import main
from shared.config import ConfigError, Settings, get_settings
from shared.erp.bc.mapping import DEFAULT_MAPPING_FILE
from shared.flows.services import check_mappings, reset_services, services
from shared.storage.ledger import OrderState
from tests.fakes import FakeErp
from tests.unit.test_order_flows import App, order_payload

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app_settings import APP_SETTINGS

pytestmark = pytest.mark.bc

BROKEN = """\
version: 1
document:
  requestedDeliveryDate: {from: meta._delivery_date, transforms: [{date: "%d/%m/%Y"}]}
  totalAmountIncludingTax: {const: "0"}
"""


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def settings(**values: str) -> Settings:
    return Settings.model_validate(values)


def test_start_up_refuses_a_broken_mapping_naming_setting_line_and_reason(broken, monkeypatch):
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BC_MAPPING_FILE", str(broken))
    get_settings.cache_clear()
    reset_services()
    try:
        with pytest.raises(ConfigError) as caught:
            services()  # what function_app does when the host imports it
    finally:
        get_settings.cache_clear()
        reset_services()
    assert str(caught.value) == (
        f"Unusable mapping: BC_MAPPING_FILE: {broken}:4: "
        "'totalAmountIncludingTax' on salesOrder is read-only: the ERP computes it"
    )


def test_each_connection_is_checked_against_its_own_document_kind(broken, tmp_path):
    invoice_only = tmp_path / "invoice.yaml"
    invoice_only.write_text("document:\n  customerPurchaseOrderReference: {from: meta._po_number}\n", encoding="utf-8")
    fine = settings(bc_company_id="c", bc_mapping_file=str(invoice_only), bc_document_kind="salesInvoice")
    assert check_mappings(fine) is fine
    with pytest.raises(ConfigError, match=r"BC_MAPPING_FILE: .*invoice.yaml:2: salesOrder has no property"):
        check_mappings(settings(bc_company_id="c", bc_mapping_file=str(invoice_only)))
    two = Settings.model_validate(
        {"bc_company_id": "c", "erps": {"eu": {"kind": "bc", "company_id": "e", "mapping_file": str(broken)}}}
    )
    with pytest.raises(ConfigError, match=r"^Unusable mapping: ERPS__eu__MAPPING_FILE: .*mapping.yaml:4: "):
        check_mappings(two)
    with pytest.raises(ConfigError, match=r"BC_MAPPING_FILE: .*absent.yaml:1: cannot read the file"):
        check_mappings(settings(bc_company_id="c", bc_mapping_file=str(tmp_path / "absent.yaml")))


def test_the_default_mapping_is_used_when_no_file_is_named():
    assert check_mappings(settings(bc_company_id="c")).bc_mapping_file == ""
    assert DEFAULT_MAPPING_FILE.is_file()


def test_mapping_check_command(broken, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BC_COMPANY_ID", "c")
    assert main(["mapping", "check"]) == 0
    assert "bc: (the default mapping) fits (0 document, 1 line, 0 customer field(s); 2 comment(s)" in (
        capsys.readouterr().out
    )
    assert main(["mapping", "check", "--file", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"bc: {broken} (BC_MAPPING_FILE) does not fit:" in out
    assert f"{broken}:4: 'totalAmountIncludingTax' on salesOrder is read-only" in out
    monkeypatch.setenv("BC_MAPPING_FILE", str(broken))
    assert main(["mapping", "check", "--json"]) == 1
    (result,) = json.loads(capsys.readouterr().out)
    assert result["ok"] is False and result["problems"][0].endswith(":4: 'totalAmountIncludingTax' on salesOrder "
                                                                    "is read-only: the ERP computes it")  # fmt: skip
    assert main(["mapping", "check", "--erp", "nowhere"]) == 1
    assert "Unknown ERP connection 'nowhere'" in capsys.readouterr().err


STATUSES = """\
version: 1
statuses:
  post: [processing, wc-approved]
  cancel: [cancelled, wc-rejected]
  ignore: [on-hold]
"""


def test_status_rules_decide_what_posts_cancels_and_is_ignored(tmp_path):
    path = tmp_path / "statuses.yaml"
    path.write_text(STATUSES, encoding="utf-8")
    erp = FakeErp(items=["WOO-93", "Bar3"])
    app = App(erp, bc_mapping_file=str(path))
    app.deliver(order_payload(status="wc-approved"))  # a plugin's status the mapping posts
    assert app.entry().state == OrderState.POSTED and list(erp.documents) == ["727"]
    app.deliver(order_payload(status="wc-rejected", date_modified_gmt="2017-03-24T00:00:00"))
    assert app.entry().state == OrderState.CANCELLED and erp.documents == {}

    app.deliver(order_payload(id=728, number="728", status="completed"))  # PAID_STATUSES, but not in post
    assert app.entry(728).state != OrderState.POSTED and "728" not in erp.documents
    app.deliver(order_payload(id=729, number="729", status="on-hold"))  # ignored: not even remembered
    assert app.entry(729) is None


def test_without_status_rules_paid_statuses_post_as_before():
    erp = FakeErp(items=["WOO-93", "Bar3"])
    app = App(erp)
    app.deliver(order_payload(status="completed"))
    assert app.entry().state == OrderState.POSTED


def test_the_reconciliation_expects_a_document_for_the_statuses_the_mapping_posts(tmp_path):
    from datetime import date

    from shared.erp.port import DocumentKind
    from shared.flows.reconcile import DocumentIndex, _Budget, _check_order_page
    from shared.flows.report import ExceptionKind

    path = tmp_path / "statuses.yaml"
    path.write_text(STATUSES, encoding="utf-8")
    erp = FakeErp(items=["WOO-93", "Bar3"])
    app = App(erp, bc_mapping_file=str(path))
    approved = order_payload(status="wc-approved")  # posted by the mapping, never reached the ERP
    completed = order_payload(id=728, number="728", status="completed")  # PAID_STATUSES, not posted here
    day = order_payload()["date_created_gmt"][:10]

    checked_count, found = _check_order_page(
        app.services, "main", date.fromisoformat(day), [approved, completed], set(), _Budget(100),
        DocumentIndex(DocumentKind.SALES_ORDER),
    )  # fmt: skip
    assert [(e.kind, str(e.order)) for e in found] == [(ExceptionKind.MISSING_ORDER, "727")]
    assert checked_count >= 1
    # Without the mapping's status rules, PAID_STATUSES decide: the completed order is the missing one.
    plain = App(FakeErp(items=["WOO-93", "Bar3"]))
    _, found = _check_order_page(
        plain.services, "main", date.fromisoformat(day), [approved, completed], set(), _Budget(100),
        DocumentIndex(DocumentKind.SALES_ORDER),
    )  # fmt: skip
    assert [(e.kind, str(e.order)) for e in found] == [(ExceptionKind.MISSING_ORDER, "728")]
