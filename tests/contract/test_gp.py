"""The ERP port's contract for Dynamics GP: the GP adapter against the GP emulator, over both transports.

One emulator for the session (NTLM user file, the real legacy WSDL); every test gets a GP company of its own
through the probe. ``TestGpSoap`` runs the Web Services transport with SOP sales invoices, ``TestGpSba`` the
Service Based Architecture transport with receivables (RM) invoices (SBA has no SOP documents, facts §1.1).
GP has no ERP events: the port's optional ``ErpEvents`` is absent (checked below).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from sandbox.gp import GpEmulator
from sandbox.gp.probe import GpProbe
from shared.config import GpConnection, Settings
from shared.erp.gp.adapter import GpAdapter
from shared.erp.port import ErpConflict, event_source

from .port_contract import EPOCH, IMPATIENT_TIMEOUT_SECONDS, ErpPortContract, external_number

USER, PASSWORD, DOMAIN = "gpuser", "Password01", "GPDOM"


@pytest.fixture(scope="session")
def gp_emulator() -> Iterator[GpEmulator]:
    emulator = GpEmulator(users={USER: PASSWORD}, domain=DOMAIN)
    emulator.start()
    yield emulator
    emulator.stop()


def gp_adapter(
    gp: GpEmulator, probe: GpProbe, transport: str, connection_values: dict[str, Any] | None = None, **settings: Any
) -> GpAdapter:
    connection = GpConnection(
        transport=transport,  # type: ignore[arg-type]
        url=gp.base_url,
        company_id=probe.company_id,
        company_name=probe.company_name,
        username=f"{DOMAIN}\\{USER}",
        password=PASSWORD,  # type: ignore[arg-type]
        document_type="sop_order" if transport == "soap" else "rm",
        checkbook_id="UPTOWN TRUST",
        gl_accounts={"": {"receivables": "000-1200-00", "sales": "000-4100-00", "tax": "000-2300-00"}},
        **(connection_values or {}),
    )
    values: dict[str, Any] = {"sandbox_ca_bundle": str(gp.ca_bundle), "http_timeout_seconds": 20.0, **settings}
    return GpAdapter(Settings(**values), connection)


@pytest.mark.gp
class GpContract(ErpPortContract):
    transport = "soap"

    @pytest.fixture
    def probe(self, gp_emulator: GpEmulator) -> Iterator[GpProbe]:
        probe = GpProbe.new_company(gp_emulator.base_url, ca_bundle=str(gp_emulator.ca_bundle))
        yield probe
        probe.close()

    @pytest.fixture
    def erp(self, probe: GpProbe, gp_emulator: GpEmulator) -> Iterator[GpAdapter]:
        adapter = gp_adapter(gp_emulator, probe, self.transport)
        yield adapter
        adapter.close()

    @pytest.fixture
    def impatient_erp(self, probe: GpProbe, gp_emulator: GpEmulator) -> Iterator[GpAdapter]:
        adapter = gp_adapter(
            gp_emulator,
            probe,
            self.transport,
            http_timeout_seconds=IMPATIENT_TIMEOUT_SECONDS,
            http_max_attempts=1,
        )
        yield adapter
        adapter.close()

    def test_gp_has_no_erp_events(self, erp: GpAdapter) -> None:
        assert event_source(erp) is None


@pytest.mark.gp
@pytest.mark.integration
class TestGpSoap(GpContract):
    transport = "soap"


@pytest.mark.gp
@pytest.mark.integration
class TestGpSba(GpContract):
    """SBA writes receivables (RM) invoices, and GP does not fulfil those: nothing ships through them (facts
    §1.1, §4), and what stops a cancellation is posting. These four cases take the place of the contract's
    shipping ones for RM documents: they assert what GP does instead, nothing is skipped."""

    transport = "sba"

    def _posted(self, probe: GpProbe, gp_emulator: GpEmulator, sku: str) -> Any:
        poster = gp_adapter(gp_emulator, probe, self.transport, {"post_batches": True})
        try:
            return self.post(poster, probe, [(sku, 1, "4.00")])
        finally:
            poster.close()

    def test_cancelling_a_partly_shipped_document_is_a_conflict(self, erp: GpAdapter, probe: GpProbe) -> None:
        placed, document = self.post(erp, probe, [("CANCEL-2", 2, "4.00")])
        with pytest.raises(KeyError):  # the warehouse has no GP document to fulfil for an RM invoice
            probe.ship(external_number(placed), {"CANCEL-2": Decimal(1)})
        assert not erp.shipped_anything(document)
        erp.cancel_sales_document(document)
        assert erp.find_sales_document(external_number(placed)) is None

    def test_cancelling_a_shipped_document_is_a_conflict(
        self, erp: GpAdapter, probe: GpProbe, gp_emulator: GpEmulator
    ) -> None:
        placed, document = self._posted(probe, gp_emulator, "CANCEL-3")
        assert document.shipped and erp.shipped_anything(document)  # posted: it can no longer be cancelled
        with pytest.raises(ErpConflict):
            erp.cancel_sales_document(document)
        assert erp.find_sales_document(external_number(placed)) is not None

    def test_partial_then_full_shipment_with_tracking(self, erp: GpAdapter, probe: GpProbe) -> None:
        placed, document = self.post(erp, probe, [("SHIP-1", 2, "10.00")])
        with pytest.raises(KeyError):
            probe.ship(external_number(placed), {"SHIP-1": Decimal(1)}, tracking_number="1Z0000000000000001")
        assert erp.list_shipments_since(EPOCH) == []
        assert not erp.get_sales_document(document).shipped

    def test_a_shipment_without_tracking_has_none(
        self, erp: GpAdapter, probe: GpProbe, gp_emulator: GpEmulator
    ) -> None:
        self._posted(probe, gp_emulator, "SHIP-3")
        assert erp.list_shipments_since(EPOCH) == []  # even posted, an RM invoice records no shipment
