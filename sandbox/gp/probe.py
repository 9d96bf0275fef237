"""The contract suite's probe (:mod:`sandbox.probe`) for the Dynamics GP emulator.

Everything goes through the emulator's HTTP control API (``/_sandbox/...``, :mod:`sandbox.gp.control`), so the
emulator may run in this process or another. One probe drives one GP company: :meth:`GpProbe.new_company`.

GP specifics behind the neutral words: a *blocked* customer is a customer on hold (``Customer.IsOnHold``);
the *carrier* of a shipment is recorded as the SOP document's shipping method; ``TOKEN_EXPIRED`` means every
NTLM-authenticated connection must authenticate again (GP has no tokens); ``tokens_issued`` counts NTLM
handshakes started (type-1 tokens), whose type-1 legs are not counted as requests. Item numbers are upper
case, as GP item numbers are typed.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx

from sandbox.probe import ErpProbe, Fault, ProbeShipment, RequestLog

CONTROL_TIMEOUT_SECONDS = 30.0
TIMEOUT_HANG_SECONDS = 10.0  # longer than the suite's client timeout
DEFAULT_CARRIER = "UPS GROUND"  # a shipping method id as GP's sample company has them (UNCONFIRMED list)


class GpProbe:
    """:class:`sandbox.probe.ErpProbe` for one company of a running GP emulator."""

    kind = "gp"
    carrier = DEFAULT_CARRIER

    def __init__(self, gp_url: str, company_id: int, *, ca_bundle: str | None = None) -> None:
        self.company_id = company_id
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._gp = httpx.Client(
            base_url=gp_url.rstrip("/") + "/_sandbox/", verify=verify, timeout=CONTROL_TIMEOUT_SECONDS
        )
        self.company_name = ""

    @classmethod
    def new_company(cls, gp_url: str, *, ca_bundle: str | None = None) -> GpProbe:
        """A probe on a GP company created for it (its own customers, items, documents and batches)."""
        probe = cls(gp_url, 0, ca_bundle=ca_bundle)
        created = probe._post("companies", {"name": f"Contract {uuid.uuid4().hex[:8]}"}, company=False)
        probe.company_id = int(created["id"])
        probe.company_name = str(created["name"])
        return probe

    def close(self) -> None:
        self._gp.close()

    def _post(self, path: str, body: Mapping[str, Any], *, company: bool = True) -> Any:
        payload = {**body, "companyId": self.company_id} if company else dict(body)
        response = self._gp.post(path, json=payload)
        if response.status_code == 404:
            raise KeyError(response.json().get("error", path))
        response.raise_for_status()
        return response.json()

    # ----------------------------------------------------------------------------------------- master data
    def seed_item(self, number: str, *, price: Decimal, stock: Decimal = Decimal(0), name: str = "") -> None:
        item = {"id": number, "price": str(price), "stock": str(stock), "description": name or number}
        self._post("seed", {"items": [item]})

    def seed_customer(self, number: str, *, email: str, name: str = "", phone: str = "") -> None:
        self._post("seed", {"customers": [{"id": number, "name": name or number, "email": email, "phone": phone}]})

    def move_stock(self, number: str, delta: Decimal) -> None:
        self._post("stock", {"item": number, "delta": str(delta)})

    def set_price(self, number: str, price: Decimal) -> None:
        self._post("price", {"item": number, "price": str(price)})

    def block_customer(self, number: str) -> None:
        self._post("customers/hold", {"customer": number, "onHold": True})

    def unblock_customer(self, number: str) -> None:
        self._post("customers/hold", {"customer": number, "onHold": False})

    def set_up_currency(self, code: str) -> None:
        self._post("currencies", {"code": code})

    def remove_currency(self, code: str) -> None:
        self._post("currencies/remove", {"code": code})

    # ------------------------------------------------------------------------------------------ warehouse
    def ship(
        self,
        external_document_number: str,
        quantities: Mapping[str, Decimal] | None = None,
        *,
        carrier: str = "",
        tracking_number: str = "",
    ) -> ProbeShipment:
        body = {
            "reference": external_document_number,
            "quantities": None if quantities is None else {k: str(v) for k, v in quantities.items()},
            "carrier": carrier,
            "trackingNumber": tracking_number,
        }
        shipment = self._post("warehouse/ship", body)
        return ProbeShipment(
            number=str(shipment["number"]),
            document_number=str(shipment["documentId"]),
            tracking_number=tracking_number,
            carrier=carrier,
        )

    # ---------------------------------------------------------------------------------------------- faults
    def inject(self, fault: Fault, *, retry_after: int | None = None) -> None:
        self._post(
            "faults",
            {"fault": fault.value, "retryAfter": retry_after, "hangSeconds": TIMEOUT_HANG_SECONDS},
            company=False,
        )

    def clear_faults(self) -> None:
        self._post("faults", {"clear": True}, company=False)

    def request_log(self) -> RequestLog:
        response = self._gp.get("counters")
        response.raise_for_status()
        counters = response.json()
        faults: dict[str, int] = counters["faults"]
        ntlm: dict[str, int] = counters["ntlm"]
        # NTLM in the probe's neutral words: a credential is "issued" when a client starts a handshake (its
        # type-1 token); the type-1 leg is the handshake's, not a request of its own; "unauthorized" counts the
        # requests answered with a challenge or a refusal.
        negotiations = int(ntlm.get("negotiations", 0))
        return RequestLog(
            requests=int(faults.get("requests", 0)) - negotiations,
            unauthorized=int(ntlm.get("challenges", 0))
            + int(ntlm.get("rejected", 0))
            + int(faults.get("status_401", 0)),
            tokens_issued=negotiations,
            by_operation={str(k): int(v) for k, v in counters["operations"].items()},
        )


PROBE: type[ErpProbe] = GpProbe  # mypy checks that the GP probe keeps the protocol
