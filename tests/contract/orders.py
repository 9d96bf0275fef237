"""Canonical Woo orders, buyers and refunds for the contract suite (ERP-neutral: the model only)."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from shared.model import Address, Customer, LineKind, Order, OrderLine, Refund, RefundLine

_numbers = itertools.count(5001)
NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def buyer(email: str | None = None) -> Customer:
    """A Woo buyer with an e-mail no other test uses."""
    email = email or f"buyer-{uuid.uuid4().hex[:10]}@example.com"
    address = Address(
        first_name="Ada",
        last_name="Lovelace",
        address_1="12 Analytical Row",
        city="London",
        postcode="N1 7AA",
        country="GB",
        email=email,
        phone="+44 20 7946 0000",
    )
    return Customer(email=email, first_name="Ada", last_name="Lovelace", billing=address)


def order(
    lines: list[tuple[str, int, str]],
    *,
    currency: str = "USD",
    customer: Customer | None = None,
    number: str | None = None,
) -> Order:
    """A paid order of (SKU, quantity, unit price) lines, prices excluding tax, no tax, no shipping."""
    customer = customer or buyer()
    woo_id = next(_numbers)
    order_lines = []
    for index, (sku, quantity, price) in enumerate(lines, start=1):
        amount = Decimal(price) * quantity
        order_lines.append(
            OrderLine(
                kind=LineKind.ITEM,
                woo_item_id=woo_id * 100 + index,
                name=f"Product {sku}",
                sku=sku or None,
                product_id=woo_id * 10 + index,
                quantity=Decimal(quantity),
                subtotal=amount,
                total=amount,
            )
        )
    total = sum((line.total for line in order_lines), Decimal(0))
    return Order(
        store="main",
        woo_order_id=woo_id,
        number=number or f"C{uuid.uuid4().hex[:8].upper()}",
        status="processing",
        currency=currency,
        created_at=NOW,
        paid_at=NOW,
        customer=customer,
        billing=customer.billing,
        shipping=customer.billing,
        lines=tuple(order_lines),
        total=total,
        payment_method="bacs",
        payment_method_title="Direct bank transfer",
    )


def refund_of_line(placed: Order, line_index: int = 0, quantity: int = 1) -> Refund:
    """A refund of ``quantity`` units of one line, with the goods returned."""
    line = placed.lines[line_index]
    amount = line.total / line.quantity * quantity
    return Refund(
        woo_refund_id=next(_numbers),
        woo_order_id=placed.woo_order_id,
        amount=amount,
        reason="Damaged in transit",
        created_at=NOW,
        refunded_payment=True,
        lines=(
            RefundLine(
                original_item_id=line.woo_item_id,
                name=line.name,
                sku=line.sku,
                product_id=line.product_id,
                quantity=Decimal(quantity),
                total=amount,
            ),
        ),
    )
