"""The contract suite's probe (:mod:`sandbox.probe`) for the F&O emulator.

Everything goes through the emulator's HTTP control API (``/_sandbox/...``, :mod:`sandbox.fo.control`) and the
Entra emulator's (``/_sandbox/tokens/expire``, ``/_sandbox/stats``), so the emulators may run in this process or
another. One probe drives one legal entity (``dataAreaId``): :meth:`FoProbe.new_company` makes a fresh one, which
the adapter reaches with ``cross-company=true`` (facts §1.2).

F&O documents ``Retry-After`` on 429 (dynamics.md §2.3), so THROTTLED always sends one (1 s unless asked).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.entra_probe import EntraEmulatorProbe
from sandbox.probe import ErpProbe, ProbeShipment

DEFAULT_CARRIER = "UPS"  # a carrier the warehouse simulator knows (sandbox.fo.warehouse.CARRIERS)


class FoProbe(EntraEmulatorProbe):
    """:class:`sandbox.probe.ErpProbe` for one legal entity of a running F&O emulator."""

    kind = "fo"
    throttled_retry_after = 1  # F&O documents Retry-After on 429
    carrier = DEFAULT_CARRIER

    def __init__(self, fo_url: str, entra_url: str, data_area_id: str, *, ca_bundle: str | None = None) -> None:
        super().__init__(fo_url, entra_url, ca_bundle=ca_bundle)
        self.data_area_id = data_area_id

    @classmethod
    def new_company(
        cls, fo_url: str, entra_url: str, *, ca_bundle: str | None = None, currency: str = "USD"
    ) -> FoProbe:
        """A probe on a legal entity the emulator creates for it (a fresh id, at most 4 characters)."""
        probe = cls(fo_url, entra_url, "", ca_bundle=ca_bundle)
        created = probe._post("companies", {"currency": currency})
        probe.data_area_id = str(created["dataAreaId"])
        return probe

    def _company(self, **body: Any) -> dict[str, Any]:
        return {**body, "dataAreaId": self.data_area_id}

    # ---- master data ------------------------------------------------------------------------------------------
    def seed_item(self, number: str, *, price: Decimal, stock: Decimal = Decimal(0), name: str = "") -> None:
        product = {"ItemNumber": number, "SalesPrice": str(price), "name": name or number, "stock": str(stock)}
        self._post("seed", self._company(products=[product]))

    def seed_customer(self, number: str, *, email: str, name: str = "", phone: str = "") -> None:
        first, _, last = (name or number).partition(" ")
        customer = {
            "CustomerAccount": number,
            "PartyType": "Person",
            "PersonFirstName": first,
            "PersonLastName": last,
            "NameAlias": name or number,
            "PrimaryContactEmail": email,
            "PrimaryContactPhone": phone,
        }
        self._post("seed", self._company(customers=[customer]))

    def move_stock(self, number: str, delta: Decimal) -> None:
        self._post("stock", self._company(item=number, delta=str(delta)))

    def set_price(self, number: str, price: Decimal) -> None:
        self._post("price", self._company(item=number, price=str(price)))

    def block_customer(self, number: str) -> None:
        self._post("customers/hold", self._company(customer=number, status="All"))

    def unblock_customer(self, number: str) -> None:
        self._post("customers/hold", self._company(customer=number, status="No"))

    def set_up_currency(self, code: str) -> None:
        self._post("seed", self._company(currencies=[code]))

    # ---- warehouse --------------------------------------------------------------------------------------------
    def ship(
        self,
        external_document_number: str,
        quantities: Mapping[str, Decimal] | None = None,
        *,
        carrier: str = "",
        tracking_number: str = "",
    ) -> ProbeShipment:
        body = self._company(
            order=external_document_number,
            quantities=None if quantities is None else {k: str(v) for k, v in quantities.items()},
            carrier=carrier,
            trackingNumber=tracking_number,
        )
        slip = self._post("warehouse/ship", body)
        return ProbeShipment(
            number=str(slip["packingSlipNumber"]),
            document_number=str(slip["salesOrderNumber"]),
            tracking_number=tracking_number,
            carrier=carrier,
        )


PROBE: type[ErpProbe] = FoProbe  # mypy checks that the F&O probe keeps the protocol
