"""Run Entra ID + F&O emulators standalone: `python -m sandbox.fo [--port N] [--entra-port N] [--company usmf]`."""

from __future__ import annotations

import argparse

from sandbox.entra import EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.lifecycle import run_until_stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--entra-port", type=int, default=0)
    parser.add_argument("--company", default="usmf", help="the default legal entity (dataAreaId)")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--token-lifetime", type=float, default=3600)
    args = parser.parse_args()

    entra = EntraEmulator(clients={args.client_id: args.client_secret}, token_lifetime_s=args.token_lifetime)
    entra.start(port=args.entra_port)
    fo = FoEmulator(entra=entra, default_company=args.company)
    fo.start(port=args.port)
    run_until_stopped(
        {
            "authority": entra.authority,
            "clientId": args.client_id,
            "clientSecret": args.client_secret,
            "scope": fo.scope,
            "dataUrl": fo.data_url,
            "dataAreaId": fo.default_company,
            "caBundle": str(fo.ca_bundle),
            "control": f"{fo.base_url}/_sandbox/counters",
        },
        fo,
        entra,
    )


if __name__ == "__main__":
    main()
