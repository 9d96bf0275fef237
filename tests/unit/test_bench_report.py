"""The benchmark summary names every ERP's calls per order against its floor."""

from __future__ import annotations

from bench.report import summary_rows


def test_gp_calls_per_order_are_reported_per_transport_and_buyer() -> None:
    figures = {"calls_per_order_known_customer": 3.0, "calls_per_order_new_buyer": 8.0}
    document = {"benchmarks": {"gp_calls": {"result": {"soap": figures, "sba": figures}}}}
    rows = [row for row in summary_rows(document) if row[0] == "gp_calls"]
    assert [(measure, value) for _, measure, value, _ in rows] == [
        ("GP calls per order (soap, known customer)", "3.00"),
        ("GP calls per order (soap, new buyer)", "8.00"),
        ("GP calls per order (sba, known customer)", "3.00"),
        ("GP calls per order (sba, new buyer)", "8.00"),
    ]
    assert {floor for *_, floor in rows} == {"2 (create, read back)"}
