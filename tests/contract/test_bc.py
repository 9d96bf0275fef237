"""The ERP port's contract for Business Central: the BC adapter against the BC and Entra emulators.

One emulator pair for the session; every test gets a company of its own (through the probe), so tests
share the servers but never each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.bc import BcEmulator
from sandbox.bc.probe import BcProbe
from sandbox.entra import EntraEmulator
from shared.config import Settings
from shared.erp.bc.adapter import BcAdapter

from .port_contract import IMPATIENT_TIMEOUT_SECONDS, ErpPortContract

CLIENT_ID = "contract-suite"
CLIENT_SECRET = "contract-suite-secret"


@pytest.fixture(scope="session")
def bc_emulators() -> Iterator[tuple[BcEmulator, EntraEmulator]]:
    entra = EntraEmulator(clients={CLIENT_ID: CLIENT_SECRET})
    entra.start()
    bc = BcEmulator(entra=entra)
    bc.start()
    yield bc, entra
    bc.stop()
    entra.stop()


def bc_settings(bc: BcEmulator, entra: EntraEmulator, company_id: str, **overrides: Any) -> Settings:
    """The connection's settings, as the Stack gives them to the app (sandbox/stack.py)."""
    values: dict[str, Any] = {
        "bc_tenant_id": bc.tenant,
        "bc_environment": bc.environment,
        "bc_company_id": company_id,
        "bc_client_id": CLIENT_ID,
        "bc_client_secret": CLIENT_SECRET,
        "bc_api_url": bc.base_url,
        "bc_authority": entra.authority,
        "bc_shipping_number": "6410",
        "bc_fee_number": "6910",
        "bc_refund_account": "6110",
        "bc_payment_journal": "CASHRCPT",
        "bc_tracking_api": "wooConnector/shipping/v1.0",
        "sandbox_ca_bundle": str(bc.ca_bundle),
        "http_timeout_seconds": 20.0,
        **overrides,
    }
    return Settings(**values)


@pytest.mark.bc
@pytest.mark.integration
class TestBc(ErpPortContract):
    @pytest.fixture
    def probe(self, bc_emulators: tuple[BcEmulator, EntraEmulator]) -> Iterator[BcProbe]:
        bc, entra = bc_emulators
        probe = BcProbe.new_company(bc.base_url, entra.authority, ca_bundle=str(bc.ca_bundle))
        yield probe
        probe.close()

    @pytest.fixture
    def erp(self, probe: BcProbe, bc_emulators: tuple[BcEmulator, EntraEmulator]) -> Iterator[BcAdapter]:
        adapter = BcAdapter(bc_settings(*bc_emulators, probe.company_id))
        yield adapter
        adapter.close()

    @pytest.fixture
    def impatient_erp(self, probe: BcProbe, bc_emulators: tuple[BcEmulator, EntraEmulator]) -> Iterator[BcAdapter]:
        settings = bc_settings(
            *bc_emulators, probe.company_id, http_timeout_seconds=IMPATIENT_TIMEOUT_SECONDS, http_max_attempts=1
        )
        adapter = BcAdapter(settings)
        yield adapter
        adapter.close()

    @pytest.mark.xfail(
        strict=True,
        reason="the port promises a case-insensitive e-mail match; the BC adapter filters with `email eq` as given "
        "(facts/dynamics.md §1.4 does not say whether BC's `eq` ignores case; the emulator's does not)",
    )
    def test_the_email_match_ignores_case(self, erp: BcAdapter, probe: BcProbe) -> None:
        super().test_the_email_match_ignores_case(erp, probe)
