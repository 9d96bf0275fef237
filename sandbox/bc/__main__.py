"""Run Entra ID + BC emulators standalone: `python -m sandbox.bc [--port N] [--entra-port N] [--demo]`."""

from __future__ import annotations

import argparse

from sandbox.bc import BcEmulator
from sandbox.bc.webhooks import WebhookConfig
from sandbox.entra import EntraEmulator
from sandbox.lifecycle import run_until_stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--entra-port", type=int, default=0)
    parser.add_argument("--tenant", default="sandbox-tenant")
    parser.add_argument("--environment", default="sandbox")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--token-lifetime", type=float, default=3600)
    parser.add_argument("--debounce", type=float, default=30.0, help="webhook debounce seconds")
    parser.add_argument("--demo", action="store_true", help="seed a few customers and items")
    args = parser.parse_args()

    entra = EntraEmulator(clients={args.client_id: args.client_secret}, token_lifetime_s=args.token_lifetime)
    entra.start(port=args.entra_port)
    bc = BcEmulator(
        entra=entra,
        tenant=args.tenant,
        environment=args.environment,
        webhooks=WebhookConfig(debounce_seconds=args.debounce),
        demo_data=args.demo,
    )
    bc.start(port=args.port)
    run_until_stopped(
        {
            "authority": entra.authority,
            "tenant": args.tenant,
            "clientId": args.client_id,
            "clientSecret": args.client_secret,
            "scope": "https://api.businesscentral.dynamics.com/.default",
            "apiUrl": bc.api_url,
            "customApiUrl": bc.custom_api_url,
            "companyId": bc.company_id,
            "caBundle": str(bc.ca_bundle),
            "control": f"{bc.base_url}/_sandbox/state",
        },
        bc,
        entra,
    )


if __name__ == "__main__":
    main()
