"""Run the GP emulator standalone: `python -m sandbox.gp [--port N] [--user U --password P --domain D] [--demo]`."""

from __future__ import annotations

import argparse
from decimal import Decimal

from sandbox.gp import GpEmulator
from sandbox.gp.wsdl import SERVICE_PATH
from sandbox.lifecycle import run_until_stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--domain", default="GPDOM")
    parser.add_argument("--user", default="gpuser")
    parser.add_argument("--password", default="Password01")
    parser.add_argument("--demo", action="store_true", help="seed a customer and two items")
    args = parser.parse_args()

    gp = GpEmulator(users={args.user: args.password}, domain=args.domain)
    if args.demo:
        gp.seed_customer("AARONFIT0001", name="Aaron Fitz Electrical", email="aaron@example.com")
        gp.seed_item("128 SDRAM", price=Decimal("10.00"), stock=Decimal(25))
        gp.seed_item("HDWR-CABLE", price=Decimal("2.50"), stock=Decimal(100))
    gp.start(port=args.port)
    company = gp.default_company
    run_until_stopped(
        {
            "webServicesUrl": gp.base_url + SERVICE_PATH,
            "wsdl": gp.base_url + SERVICE_PATH + "?wsdl",
            "sbaCompanyUrl": f"{gp.base_url}/GPService/Tenants(DefaultTenant)/Companies({company.name})",
            "companyKey": company.id,
            "user": f"{args.domain}\\{args.user}",
            "caBundle": str(gp.ca_bundle),
            "control": f"{gp.base_url}/_sandbox/counters",
        },
        gp,
    )


if __name__ == "__main__":
    main()
