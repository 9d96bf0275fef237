"""`python -m bench.reconcile_emulators --orders N --day YYYY-MM-DD`: Entra, BC and Woo emulators for the
reconciliation benchmark, in their own process so the connector's memory is measured without theirs.

Seeding goes straight to the emulators' stores (the shopper and the BC API would take many minutes for
100,000 orders): N paid WooCommerce orders created over the day, and for each a BC sales order dated that
day with the order number as external document number and the same total, except a few exceptions on
purpose (orders with no BC document, documents with another total). The demo catalogue is seeded as in
the sandbox (the stock-drift check reads it).

One emulator shortcut, for speed only: the Woo order listing the reconciliation pages through (`after`,
`before`, `dates_are_gmt`, `orderby=id`) is filtered once per query instead of once per page; the
answers (pages, headers, bodies) are the emulator's own.

Prints one JSON line (settings, counts) when ready; stops when stdin closes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sandbox import catalog
from sandbox.bc import BcEmulator
from sandbox.entra import EntraEmulator
from sandbox.tls import ensure_tls_files
from sandbox.woo import DeliveryOptions, WooEmulator
from sandbox.woo.api.common import paginate
from sandbox.woo.models import Order

CLIENT_ID, CLIENT_SECRET = "woo-connector", "bench-client-secret"
WEBHOOK_SECRET = "bench-webhook-secret"
MISSING, MISMATCHED = 5, 5


def memoize_order_listing(woo: WooEmulator) -> None:
    """Filter the order list once per query shape the reconciliation uses; page from the cached list."""
    store = woo.store
    cache: dict[tuple[tuple[str, str], ...], list[Order]] = {}
    for route in woo.app.routes:
        if route.method != "GET" or route.template != "/orders":
            continue
        original = route.handler

        def handler(req: Any, original: Any = original) -> Any:
            params = {k: v for k, v in req.query_pairs}
            shape = set(params) - {"page", "per_page", "_fields", "order"}
            if params.get("orderby") != "id" or not shape <= {"after", "before", "dates_are_gmt", "orderby"}:
                return original(req)
            key = tuple(sorted((k, v) for k, v in params.items() if k not in ("page", "per_page", "_fields")))
            if key not in cache:
                from sandbox.woo.api.common import date_filter
                from sandbox.woo.formats import site_tz

                keep = date_filter(req, site_tz(store.options.timezone_offset_hours))
                with store.lock:
                    items = [
                        o
                        for o in store.orders.values()
                        if o.status not in ("trash", "auto-draft") and keep(o.date_created, o.date_modified)
                    ]
                cache[key] = sorted(items, key=lambda o: o.id, reverse=params.get("order") == "desc")
            from sandbox.woo.views import order_view

            with store.lock:
                return paginate(req, cache[key], store.api_base, "/orders", lambda o: order_view(store, o))

        route.handler = handler


def seed_orders(woo: WooEmulator, bc: BcEmulator, count: int, day: date, rng: random.Random) -> dict[str, Any]:
    store = woo.store
    company = bc.company()
    customer = bc.add_customer(number="C-WEB", displayName="Web shop", email="web@example.com")
    with bc.store.lock:
        template = bc._create(
            company,
            "salesOrders",
            {"customerNumber": customer["number"], "externalDocumentNumber": "TEMPLATE", "orderDate": day.isoformat()},
        )
        bc.store.delete(company, "salesOrders", template["id"], notify=False)
    start = datetime.combine(day, time(0), tzinfo=UTC)
    step = 86_400 / count
    missing = set(rng.sample(range(count), MISSING))
    mismatched = set(rng.sample(sorted(set(range(count)) - missing), MISMATCHED))
    with store.lock, bc.store.lock:
        for n in range(count):
            created = start + timedelta(seconds=n * step)
            total = Decimal(rng.randint(1_000, 500_000)) / 100
            order_id = store.next_post_id()
            order = Order(
                id=order_id,
                number=str(order_id),
                order_key=f"wc_order_bench{order_id}",
                status="processing",
                currency="USD",
                date_created=created,
                date_modified=created,
                date_paid=created,
                total=total,
                billing={"first_name": "Bench", "last_name": f"Buyer{n % 997}", "email": f"b{n % 997}@example.com"},
                payment_method="stripe",
                payment_method_title="Credit Card (Stripe)",
            )
            store.orders[order_id] = order
            if n in missing:
                continue
            record = dict(template)
            record.update(
                id="",
                number=f"SO{200000 + n}",
                externalDocumentNumber=order.number,
                totalAmountIncludingTax=total + (1 if n in mismatched else 0),
                totalAmountExcludingTax=total,
            )
            bc.store.insert(company, "salesOrders", record, notify=False)
    return {"orders": count, "missing_in_erp": MISSING, "total_mismatch": MISMATCHED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--day", required=True)
    args = parser.parse_args()
    tls = ensure_tls_files()
    entra = EntraEmulator(clients={CLIENT_ID: CLIENT_SECRET})
    entra.start(0)
    bc = BcEmulator(entra=entra)
    bc.start(0)
    woo = WooEmulator(delivery=DeliveryOptions(verify=str(tls.ca_bundle)))
    woo.start(0)
    catalog.seed(woo, bc)
    memoize_order_listing(woo)
    seeded = seed_orders(woo, bc, args.orders, date.fromisoformat(args.day), random.Random(11))
    settings = {
        "WOO_STORES__main__URL": woo.url,
        "WOO_STORES__main__CONSUMER_KEY": woo.consumer_key,
        "WOO_STORES__main__CONSUMER_SECRET": woo.consumer_secret,
        "WOO_STORES__main__WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BC_TENANT_ID": bc.tenant,
        "BC_ENVIRONMENT": bc.environment,
        "BC_COMPANY_ID": bc.company_id,
        "BC_CLIENT_ID": CLIENT_ID,
        "BC_CLIENT_SECRET": CLIENT_SECRET,
        "BC_API_URL": bc.base_url,
        "BC_AUTHORITY": entra.authority,
        "BC_SHIPPING_NUMBER": "6410",
        "BC_FEE_NUMBER": "6910",
        "SANDBOX_CA_BUNDLE": str(tls.ca_bundle),
    }
    print(json.dumps({"settings": settings, "seeded": seeded, "woo_control": f"{woo.url}_sandbox"}), flush=True)
    sys.stdin.read()
    for part in (woo, bc, entra):
        part.stop()


if __name__ == "__main__":
    main()
