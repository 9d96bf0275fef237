"""The ERP port's contract for Finance & Operations: the F&O adapter against the F&O and Entra emulators.

One emulator pair for the session; every test gets a legal entity of its own (through the probe), reached
with ``cross-company=true`` as a connection to a non-default legal entity is (facts §1.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.entra import EntraEmulator
from sandbox.fo import FoEmulator
from sandbox.fo.probe import FoProbe
from shared.config import FoConnection, Settings
from shared.erp.fo.adapter import FoAdapter

from .port_contract import IMPATIENT_TIMEOUT_SECONDS, ErpPortContract

CLIENT_ID = "contract-suite"
CLIENT_SECRET = "contract-suite-secret"
TENANT = "contoso-test.onmicrosoft.com"


@pytest.fixture(scope="session")
def fo_emulators() -> Iterator[tuple[FoEmulator, EntraEmulator]]:
    entra = EntraEmulator(clients={CLIENT_ID: CLIENT_SECRET})
    entra.start()
    fo = FoEmulator(entra=entra)
    fo.start()
    yield fo, entra
    fo.stop()
    entra.stop()


def fo_connection(fo: FoEmulator, entra: EntraEmulator, data_area_id: str, **overrides: Any) -> FoConnection:
    """The connection's settings, as ERPS__<id>__* give them to the app."""
    values: dict[str, Any] = {
        "environment_url": fo.environment_url,
        "tenant_id": TENANT,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "authority": entra.authority,
        "data_area_id": data_area_id,
        "cross_company": True,
        "customer_group": fo.customer_group,
        "payment_journal": "CustPay",
        "payment_offset_account": "USMF OPER",
        **overrides,
    }
    return FoConnection(**values)


def fo_adapter(fo: FoEmulator, entra: EntraEmulator, data_area_id: str, **settings: Any) -> FoAdapter:
    base: dict[str, Any] = {"sandbox_ca_bundle": str(fo.ca_bundle), "http_timeout_seconds": 20.0, **settings}
    return FoAdapter(Settings(**base), fo_connection(fo, entra, data_area_id))


@pytest.mark.fo
@pytest.mark.integration
class TestFo(ErpPortContract):
    tracks_changes = False  # F&O keeps no change date on products, on-hand or packing slips (facts §2.6, §2.7)

    @pytest.fixture
    def probe(self, fo_emulators: tuple[FoEmulator, EntraEmulator]) -> Iterator[FoProbe]:
        fo, entra = fo_emulators
        probe = FoProbe.new_company(fo.base_url, entra.authority, ca_bundle=str(fo.ca_bundle))
        yield probe
        probe.close()

    @pytest.fixture
    def erp(self, probe: FoProbe, fo_emulators: tuple[FoEmulator, EntraEmulator]) -> Iterator[FoAdapter]:
        adapter = fo_adapter(*fo_emulators, probe.data_area_id)
        yield adapter
        adapter.close()

    @pytest.fixture
    def impatient_erp(self, probe: FoProbe, fo_emulators: tuple[FoEmulator, EntraEmulator]) -> Iterator[FoAdapter]:
        adapter = fo_adapter(
            *fo_emulators, probe.data_area_id, http_timeout_seconds=IMPATIENT_TIMEOUT_SECONDS, http_max_attempts=1
        )
        yield adapter
        adapter.close()
