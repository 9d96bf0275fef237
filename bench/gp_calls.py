"""GP calls per order: `python -m bench --only gp_calls` (in bench/results/latest.json).

The GP adapter against the GP emulator (NTLM, the real legacy WSDL), over each transport: a known customer's
orders (the flows cache customer matches, so this is the steady state) and new buyers (match by e-mail then
phone, create with the address, then the order). Counted are the adapter's HTTP requests (`GpAdapter.calls`),
not the NTLM handshake's legs (one per connection, kept alive).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench.common import git_commit, now_iso
from sandbox.gp import GpEmulator
from sandbox.gp.probe import GpProbe
from shared.config import GpConnection, Settings
from shared.erp.gp.adapter import GpAdapter
from shared.model import Address, Customer, LineKind, Order, OrderLine

USER, PASSWORD, DOMAIN = "gpuser", "Bench-Password01", "GPDOM"
_ids = itertools.count(1)


def _order(customer: Customer, lines: list[tuple[str, int]]) -> Order:
    woo_id = next(_ids)
    order_lines = tuple(
        OrderLine(
            kind=LineKind.ITEM,
            woo_item_id=woo_id * 10 + i,
            name=sku,
            sku=sku,
            quantity=Decimal(qty),
            subtotal=Decimal(5 * qty),
            total=Decimal(5 * qty),
        )
        for i, (sku, qty) in enumerate(lines)
    )
    now = datetime.now(UTC)
    return Order(
        store="main",
        woo_order_id=woo_id,
        number=f"B{uuid.uuid4().hex[:8].upper()}",
        status="processing",
        currency="USD",
        created_at=now,
        paid_at=now,
        customer=customer,
        billing=customer.billing,
        shipping=customer.billing,
        lines=order_lines,
        total=sum((line.total for line in order_lines), Decimal(0)),
    )


def _buyer() -> Customer:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    address = Address(first_name="Ada", last_name="Bench", address_1="1 Main St", city="Fargo", email=email)
    return Customer(email=email, first_name="Ada", last_name="Bench", billing=address)


def _measure(gp: GpEmulator, transport: str, orders: int) -> dict[str, Any]:
    probe = GpProbe.new_company(gp.base_url, ca_bundle=str(gp.ca_bundle))
    connection = GpConnection(
        transport=transport,  # type: ignore[arg-type]
        url=gp.base_url,
        company_id=probe.company_id,
        company_name=probe.company_name,
        username=f"{DOMAIN}\\{USER}",
        password=PASSWORD,  # type: ignore[arg-type]
        document_type="sop_order" if transport == "soap" else "rm",
    )
    erp = GpAdapter(Settings(sandbox_ca_bundle=str(gp.ca_bundle)), connection)
    try:
        for sku in ("BENCH-1", "BENCH-2"):
            probe.seed_item(sku, price=Decimal(5), stock=Decimal(100000))
        known = _buyer()
        customer = erp.create_customer(known)
        erp.create_sales_document(_order(known, [("BENCH-1", 1)]), customer)  # warm: WSDL, policies, NTLM
        before = erp.calls
        for _ in range(orders):
            erp.create_sales_document(_order(known, [("BENCH-1", 2), ("BENCH-2", 1)]), customer)
        steady = (erp.calls - before) / orders
        before = erp.calls
        buyers = max(1, orders // 5)
        for _ in range(buyers):
            buyer = _buyer()
            found = erp.find_customer(buyer.email, buyer.billing.phone or None)
            erp.create_sales_document(_order(buyer, [("BENCH-1", 1)]), found or erp.create_customer(buyer))
        fresh = (erp.calls - before) / buyers
    finally:
        erp.close()
        probe.close()
    return {
        "orders": orders,
        "calls_per_order_known_customer": round(steady, 2),
        "calls_per_order_new_buyer": round(fresh, 2),
    }


def run(quick: bool = False) -> dict[str, Any]:
    gp = GpEmulator(users={USER: PASSWORD}, domain=DOMAIN)
    gp.start()
    try:
        orders = 20 if quick else 100
        return {"timestamp": now_iso(), "commit": git_commit(), **{t: _measure(gp, t, orders) for t in ("soap", "sba")}}
    finally:
        gp.stop()
