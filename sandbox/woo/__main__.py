"""python -m sandbox.woo --port 8443: run the WooCommerce emulator standalone until interrupted."""

from __future__ import annotations

import argparse

from sandbox.lifecycle import run_until_stopped
from sandbox.woo.emulator import WooEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description="WooCommerce emulator (REST API v3 + webhooks)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--consumer-key", default="ck_sandbox")
    parser.add_argument("--consumer-secret", default="cs_sandbox")
    parser.add_argument("--delivery-delay", type=float, default=0.2)
    parser.add_argument("--seed-demo", action="store_true", help="seed a few products and a coupon")
    args = parser.parse_args()
    emu = WooEmulator(args.consumer_key, args.consumer_secret)
    emu.delivery.options.delay_seconds = args.delivery_delay
    emu.start(port=args.port, host=args.host)
    if args.seed_demo:
        emu.add_product("T-shirt", "TS-1", "20.00", stock_quantity=50)
        emu.add_product("Mug", "MUG-1", "9.50", stock_quantity=100)
        emu.add_variable_product(
            "Hoodie",
            "HD",
            [
                {"sku": "HD-S", "regular_price": "45.00", "option": "S", "stock_quantity": 10},
                {"sku": "HD-M", "regular_price": "45.00", "option": "M", "stock_quantity": 10},
            ],
        )
        emu.add_coupon("welcome10", "percent", 10)
    run_until_stopped(f"WooCommerce emulator at {emu.url} (API {emu.api_url}), CA bundle {emu.ca_bundle}", emu)


if __name__ == "__main__":
    main()
