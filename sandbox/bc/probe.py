"""The contract suite's probe (:mod:`sandbox.probe`) for the Business Central emulator.

Everything goes through the emulator's HTTP control API (``/_sandbox/...``, :mod:`sandbox.bc.control`)
and the Entra emulator's (``/_sandbox/tokens/expire``, ``/_sandbox/stats``), so the emulators may run in
this process or another. One probe drives one company: :meth:`BcProbe.new_company` makes a fresh one.

Faults (:mod:`sandbox.faults`, injected by :class:`sandbox.entra_probe.EntraEmulatorProbe`) apply to the
whole BC API. BC documents ``Retry-After`` for 502/503 only; on 429 it is unconfirmed (facts: dynamics.md
§2.3), so THROTTLED sends one only when asked to.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sandbox.entra_probe import EntraEmulatorProbe
from sandbox.probe import ErpProbe, ProbeShipment

DEFAULT_CARRIER = "UPS"  # one of the shipping agents every emulator company has (sandbox.bc.emulator)


def _json(value: Decimal) -> float:
    return float(value)


class BcProbe(EntraEmulatorProbe):
    """:class:`sandbox.probe.ErpProbe` for one company of a running BC emulator."""

    kind = "bc"
    carrier = DEFAULT_CARRIER

    def __init__(self, bc_url: str, entra_url: str, company_id: str, *, ca_bundle: str | None = None) -> None:
        super().__init__(bc_url, entra_url, ca_bundle=ca_bundle)
        self.company_id = company_id

    @classmethod
    def new_company(
        cls, bc_url: str, entra_url: str, *, ca_bundle: str | None = None, lcy_code: str = "USD"
    ) -> BcProbe:
        """A probe on a company created for it (its own customers, items, documents and number series)."""
        probe = cls(bc_url, entra_url, "", ca_bundle=ca_bundle)
        created = probe._post("companies", {"name": f"Contract {uuid.uuid4().hex[:8]}", "lcyCode": lcy_code})
        probe.company_id = str(created["id"])
        return probe

    def _company(self, **body: Any) -> dict[str, Any]:
        return {**body, "companyId": self.company_id}

    # ----------------------------------------------------------------------------------------- master data

    def seed_item(self, number: str, *, price: Decimal, stock: Decimal = Decimal(0), name: str = "") -> None:
        item = {"number": number, "displayName": name or number, "unitPrice": _json(price), "inventory": _json(stock)}
        self._post("seed", self._company(items=[item]))

    def seed_customer(self, number: str, *, email: str, name: str = "", phone: str = "") -> None:
        customer = {"number": number, "displayName": name or number, "email": email, "phoneNumber": phone}
        self._post("seed", self._company(customers=[customer]))

    def move_stock(self, number: str, delta: Decimal) -> None:
        self._post("stock", self._company(item=number, delta=_json(delta)))

    def set_price(self, number: str, price: Decimal) -> None:
        self._post("price", self._company(item=number, unitPrice=_json(price)))

    def block_customer(self, number: str) -> None:
        self._post("customers/block", self._company(customer=number, blocked="All"))

    def unblock_customer(self, number: str) -> None:
        self._post("customers/block", self._company(customer=number, blocked=""))

    def set_up_currency(self, code: str) -> None:
        self._post("seed", self._company(currencies=[{"code": code, "display_name": code}]))

    # ------------------------------------------------------------------------------------------ warehouse

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
            quantities=None if quantities is None else {k: _json(v) for k, v in quantities.items()},
            shippingAgentCode=carrier,
            trackingNumber=tracking_number,
        )
        shipment = self._post("warehouse/ship", body)
        return ProbeShipment(
            number=str(shipment["number"]),
            document_number=str(shipment["orderNumber"]),
            tracking_number=tracking_number,
            carrier=carrier,
        )


PROBE: type[ErpProbe] = BcProbe  # mypy checks that the BC probe keeps the protocol
