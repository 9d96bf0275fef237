"""The ERP emulators a sandbox stack can run, by kind (`bc`, `fo`, `gp`).

Each kind names its emulator, how to start and seed it, and the connector settings that point the
default ERP connection at it. `Stack(erp=...)` and `python -m sandbox --erp ...` pick one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox import catalog
from sandbox.bc import BcEmulator
from sandbox.entra import EntraEmulator
from sandbox.fo import demo as fo_demo
from sandbox.gp import GpEmulator
from sandbox.lifecycle import Emulator
from sandbox.woo import WooEmulator


@dataclass(frozen=True)
class ErpKind:
    kind: str  # the ERP connection kind (`ERPS__<id>__KIND`)
    title: str  # what the run command shows
    start: Callable[[EntraEmulator, int], Emulator]  # (Entra ID, port; 0: any) -> a started emulator
    seed: Callable[[WooEmulator, Any], None]  # the demo catalogue, in the store and in the ERP
    settings: Callable[[Any, EntraEmulator, str, str], dict[str, str]]  # (emulator, Entra, client id, secret)
    api_url: Callable[[Any], str]  # the API root the run command shows


def _start_bc(entra: EntraEmulator, port: int) -> Emulator:
    bc = BcEmulator(entra=entra)
    bc.start(port)
    return bc


def _bc_settings(bc: BcEmulator, entra: EntraEmulator, client_id: str, client_secret: str) -> dict[str, str]:
    """The flat BC_* settings: the default connection, on the emulator's company."""
    return {
        "BC_TENANT_ID": bc.tenant,
        "BC_ENVIRONMENT": bc.environment,
        "BC_COMPANY_ID": bc.company_id,
        "BC_CLIENT_ID": client_id,
        "BC_CLIENT_SECRET": client_secret,
        "BC_API_URL": bc.base_url,
        "BC_AUTHORITY": entra.authority,
        "BC_SHIPPING_NUMBER": "6410",
        "BC_FEE_NUMBER": "6910",
        "BC_REFUND_ACCOUNT": "6110",
        "BC_WEBHOOK_CLIENT_STATE": "sandbox-bc-client-state",
        "BC_TRACKING_API": "wooConnector/shipping/v1.0",  # the BC emulator's tracking API (custom_api_url)
    }


GP_USER, GP_PASSWORD, GP_DOMAIN = "gpuser", "Sandbox-GP-Password01", "GPDOM"


def _start_gp(entra: EntraEmulator, port: int) -> Emulator:  # GP authenticates with NTLM, not Entra ID
    gp = GpEmulator(users={GP_USER: GP_PASSWORD}, domain=GP_DOMAIN)
    gp.start(port)
    return gp


def _gp_settings(gp: GpEmulator, entra: EntraEmulator, client_id: str, client_secret: str) -> dict[str, str]:
    """An `ERPS__gp__*` connection on the emulator's sample company: Web Services, SOP orders (shipments are
    their transfers to invoices), a batch posted by a person, GL accounts for the default class."""
    prefix = "ERPS__gp__"
    values = {
        "KIND": "gp",
        "TRANSPORT": "soap",
        "URL": gp.base_url,
        "COMPANY_ID": str(gp.default_company.id),
        "COMPANY_NAME": gp.default_company.name,
        "USERNAME": f"{GP_DOMAIN}\\{GP_USER}",
        "PASSWORD": GP_PASSWORD,
        "DOCUMENT_TYPE": "sop_order",
        "BATCH_ID": "WOO",
        "GL_ACCOUNTS": '{"": {"receivables": "000-1200-00", "sales": "000-4100-00", "tax": "000-2300-00"}}',
    }
    return {prefix + name: value for name, value in values.items()}


KINDS: dict[str, ErpKind] = {
    "bc": ErpKind(
        kind="bc",
        title="Business Central",
        start=_start_bc,
        seed=catalog.seed,
        settings=_bc_settings,
        api_url=lambda bc: bc.api_url,
    ),
    "fo": ErpKind(
        kind="fo",
        title="Finance & Operations",
        start=fo_demo.start,
        seed=fo_demo.seed,
        settings=fo_demo.settings,
        api_url=lambda fo: fo.data_url,
    ),
    "gp": ErpKind(
        kind="gp",
        title="Dynamics GP",
        start=_start_gp,
        seed=catalog.seed_gp,
        settings=_gp_settings,
        api_url=lambda gp: gp.base_url,  # Web Services under /DynamicsGPWebServices, SBA under /GPService
    ),
}
ERP_KINDS: list[str] = list(KINDS)
"""The ERP kinds the sandbox runs, in order: the end-to-end tests run once per kind."""


class UnknownErpKind(ValueError):
    pass


def erp_kind(kind: str) -> ErpKind:
    found = KINDS.get(kind)
    if found is None:
        raise UnknownErpKind(f"unknown ERP kind {kind!r}: the sandbox has {', '.join(KINDS)}")
    return found
