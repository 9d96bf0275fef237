"""Order totals as WooCommerce computes them: coupons, per-line taxes, shipping, fees, tax lines.

Simplifications: no compound rates, one tax class, coupons apply sequentially (WooCommerce's default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.woo.formats import round_dp
from sandbox.woo.models import D0, Coupon, Order, OrderItem, TaxRate

TAX_PRECISION = 6  # used when taxes are rounded at subtotal only


@dataclass
class PricedLine:
    item: OrderItem
    unit_price: Decimal  # as entered in the store (incl. tax when prices include tax)
    taxable: bool = True


@dataclass
class _Alloc:
    per_coupon: dict[str, Decimal] = field(default_factory=dict)


def rates_for(order: Order, rates: Sequence[TaxRate]) -> list[TaxRate]:
    country = (order.shipping.get("country") or order.billing.get("country") or "").upper()
    state = (order.shipping.get("state") or order.billing.get("state") or "").upper()
    return [
        r
        for r in rates
        if (not r.country or r.country.upper() == country) and (not r.state or r.state.upper() == state)
    ]


def _taxes(
    amount: Decimal, rates: Sequence[TaxRate], inclusive: bool, rnd: Callable[[Decimal], Decimal]
) -> dict[int, Decimal]:
    if not rates:
        return {}
    if inclusive:
        total_rate = sum((r.rate for r in rates), D0)
        return {r.id: rnd(amount * r.rate / (Decimal(100) + total_rate)) for r in rates}
    return {r.id: rnd(amount * r.rate / Decimal(100)) for r in rates}


def price_order(
    order: Order,
    lines: Sequence[PricedLine],
    coupons: Sequence[Coupon],
    rates: Sequence[TaxRate],
    *,
    dp: int = 2,
    round_at_subtotal: bool = False,
    next_item_id: Callable[[], int],
) -> None:
    """Fill line, coupon and tax items and the order totals. Shipping/fee items must already be on the order."""
    inclusive = order.prices_include_tax
    applicable = rates_for(order, rates)

    def rnd(v: Decimal) -> Decimal:
        return round_dp(v, TAX_PRECISION if round_at_subtotal else dp)

    gross_sub = {pl.item.id: round_dp(pl.unit_price * pl.item.quantity, dp) for pl in lines}
    remaining = dict(gross_sub)
    allocs = {pl.item.id: _Alloc() for pl in lines}
    for coupon in coupons:
        base = sum(remaining.values(), D0)
        if base <= 0:
            continue
        if coupon.discount_type == "percent":
            cuts = {i: min(remaining[i], round_dp(remaining[i] * coupon.amount / 100, dp)) for i in remaining}
        else:
            amount = min(coupon.amount, base)
            cuts = {i: round_dp(amount * remaining[i] / base, dp) for i in remaining}
            drift = amount - sum(cuts.values(), D0)
            last = max(remaining, key=lambda i: remaining[i])
            cuts[last] = min(remaining[last], cuts[last] + drift)
        for i, cut in cuts.items():
            remaining[i] -= cut
            allocs[i].per_coupon[coupon.code] = allocs[i].per_coupon.get(coupon.code, D0) + cut

    coupon_excl = {c.code: D0 for c in coupons}
    coupon_tax = {c.code: D0 for c in coupons}
    for pl in lines:
        item = pl.item
        use = applicable if pl.taxable else []
        sub_taxes = _taxes(gross_sub[item.id], use, inclusive, rnd)
        tot_taxes = _taxes(remaining[item.id], use, inclusive, rnd)
        item.taxes_subtotal, item.taxes_total = sub_taxes, tot_taxes
        item.subtotal_tax = sum(sub_taxes.values(), D0)
        item.total_tax = sum(tot_taxes.values(), D0)
        if inclusive:
            item.subtotal = gross_sub[item.id] - item.subtotal_tax
            item.total = remaining[item.id] - item.total_tax
        else:
            item.subtotal, item.total = gross_sub[item.id], remaining[item.id]
        discount_gross = sum(allocs[item.id].per_coupon.values(), D0)
        tax_cut = item.subtotal_tax - item.total_tax
        for code, cut in allocs[item.id].per_coupon.items():
            share = tax_cut * cut / discount_gross if discount_gross else D0
            coupon_tax[code] += share
            coupon_excl[code] += cut - share if inclusive else cut
        order.items.append(item)

    for coupon in coupons:
        order.items.append(
            OrderItem(
                id=next_item_id(),
                kind="coupon",
                code=coupon.code,
                name=coupon.code,
                discount=round_dp(coupon_excl[coupon.code], dp),
                discount_tax=rnd(coupon_tax[coupon.code]),
            )
        )

    for ship in order.lines("shipping"):
        ship.taxes_total = _taxes(ship.total, [r for r in applicable if r.shipping], False, rnd)
        ship.total_tax = sum(ship.taxes_total.values(), D0)
    for fee in order.lines("fee"):
        use = applicable if fee.tax_status == "taxable" else []
        fee.taxes_total = _taxes(fee.total, use, False, rnd)
        fee.total_tax = sum(fee.taxes_total.values(), D0)

    cart_by_rate: dict[int, Decimal] = {}
    ship_by_rate: dict[int, Decimal] = {}
    for item in order.lines("line_item") + order.lines("fee"):
        for rid, amount in item.taxes_total.items():
            cart_by_rate[rid] = cart_by_rate.get(rid, D0) + amount
    for ship in order.lines("shipping"):
        for rid, amount in ship.taxes_total.items():
            ship_by_rate[rid] = ship_by_rate.get(rid, D0) + amount
    for rate in applicable:
        if rate.id not in cart_by_rate and rate.id not in ship_by_rate:
            continue
        order.items.append(
            OrderItem(
                id=next_item_id(),
                kind="tax",
                name=rate.rate_code,
                rate_id=rate.id,
                rate_code=rate.rate_code,
                label=rate.label,
                compound=rate.compound,
                rate_percent=rate.rate,
                tax_total=round_dp(cart_by_rate.get(rate.id, D0), dp),
                shipping_tax_total=round_dp(ship_by_rate.get(rate.id, D0), dp),
            )
        )
    recalc_totals(order, dp)


def recalc_totals(order: Order, dp: int = 2) -> None:
    products = order.lines("line_item")
    fees = order.lines("fee")
    ships = order.lines("shipping")
    order.discount_total = round_dp(sum((i.subtotal - i.total for i in products), D0), dp)
    order.discount_tax = round_dp(sum((i.subtotal_tax - i.total_tax for i in products), D0), dp)
    order.shipping_total = round_dp(sum((s.total for s in ships), D0), dp)
    order.shipping_tax = round_dp(sum((s.total_tax for s in ships), D0), dp)
    order.cart_tax = round_dp(sum((i.total_tax for i in products + fees), D0), dp)
    order.total_tax = order.cart_tax + order.shipping_tax
    order.total = round_dp(sum((i.total for i in products + fees), D0) + order.shipping_total + order.total_tax, dp)
