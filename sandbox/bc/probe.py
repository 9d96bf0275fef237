"""The contract suite's probe (:mod:`sandbox.probe`) for the Business Central emulator.

Everything goes through the emulator's HTTP control API (``/_sandbox/...``, :mod:`sandbox.bc.control`)
and the Entra emulator's (``/_sandbox/tokens/expire``, ``/_sandbox/stats``), so the emulators may run in
this process or another. One probe drives one company: :meth:`BcProbe.new_company` makes a fresh one.

Faults (:mod:`sandbox.faults`) apply to the whole BC API. BC documents ``Retry-After`` for 502/503 only;
on 429 it is unconfirmed (facts: dynamics.md §2.3), so THROTTLED sends one only when asked to.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import httpx

from sandbox.faults import FaultConfig
from sandbox.probe import ErpProbe, Fault, ProbeShipment, RequestLog

CONTROL_TIMEOUT_SECONDS = 30.0
TIMEOUT_HANG_SECONDS = 10.0  # how long a TIMEOUT fault holds a request: longer than the suite's client timeout
DEFAULT_CARRIER = "UPS"  # one of the shipping agents every emulator company has (sandbox.bc.emulator)


def _json(value: Decimal) -> float:
    return float(value)


class BcProbe:
    """:class:`sandbox.probe.ErpProbe` for one company of a running BC emulator."""

    kind = "bc"
    carrier = DEFAULT_CARRIER

    def __init__(self, bc_url: str, entra_url: str, company_id: str, *, ca_bundle: str | None = None) -> None:
        """``bc_url`` / ``entra_url``: the emulators' base URLs; ``ca_bundle``: the sandbox CA (PEM file)."""
        self.company_id = company_id
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._bc = httpx.Client(
            base_url=bc_url.rstrip("/") + "/_sandbox/", verify=verify, timeout=CONTROL_TIMEOUT_SECONDS
        )
        self._entra = httpx.Client(
            base_url=entra_url.rstrip("/") + "/_sandbox/", verify=verify, timeout=CONTROL_TIMEOUT_SECONDS
        )

    @classmethod
    def new_company(
        cls, bc_url: str, entra_url: str, *, ca_bundle: str | None = None, lcy_code: str = "USD"
    ) -> BcProbe:
        """A probe on a company created for it (its own customers, items, documents and number series)."""
        probe = cls(bc_url, entra_url, "", ca_bundle=ca_bundle)
        created = probe._post("companies", {"name": f"Contract {uuid.uuid4().hex[:8]}", "lcyCode": lcy_code})
        probe.company_id = str(created["id"])
        return probe

    def close(self) -> None:
        self._bc.close()
        self._entra.close()

    # ------------------------------------------------------------------------------------- control calls

    def _post(self, path: str, body: Mapping[str, Any], client: httpx.Client | None = None) -> Any:
        response = (client or self._bc).post(path, json=dict(body))
        response.raise_for_status()
        return response.json()

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

    def remove_currency(self, code: str) -> None:
        response = self._bc.delete("currencies", params={"code": code, "companyId": self.company_id})
        response.raise_for_status()
        if not response.json().get("deleted"):
            raise KeyError(f"currency {code} is not set up")

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

    # ---------------------------------------------------------------------------------------------- faults

    def inject(self, fault: Fault, *, retry_after: int | None = None) -> None:
        if fault == Fault.TOKEN_EXPIRED:
            self._post("tokens/expire", {}, self._entra)
            return
        statuses = {
            Fault.THROTTLED: (429,),
            Fault.UNAVAILABLE: (503,),
            Fault.SERVER_ERROR: (500,),
            Fault.UNAUTHORIZED: (401,),
        }
        if fault == Fault.TIMEOUT:
            config: dict[str, Any] = {"timeout_rate": 1.0, "timeout_hang_seconds": TIMEOUT_HANG_SECONDS}
        else:
            config = {"error_rate": 1.0, "error_statuses": list(statuses[fault]), "retry_after_seconds": retry_after}
        self._post("faults", config)

    def clear_faults(self) -> None:
        defaults = {k: v for k, v in asdict(FaultConfig()).items() if k not in ("exempt_paths", "seed")}
        self._post("faults", defaults)

    def request_log(self) -> RequestLog:
        counters = self._bc.get("counters")
        counters.raise_for_status()
        stats = self._entra.get("stats")
        stats.raise_for_status()
        requests: dict[str, int] = counters.json()["requests"]
        faults: dict[str, int] = counters.json()["faults"]
        return RequestLog(
            requests=int(faults.get("requests", 0)),
            unauthorized=int(requests.get("unauthorized", 0)) + int(faults.get("status_401", 0)),
            tokens_issued=int(stats.json()["tokens_issued"]),
            by_operation={k: int(v) for k, v in requests.items() if k not in ("requests", "unauthorized")},
        )


PROBE: type[ErpProbe] = BcProbe  # mypy checks that the BC probe keeps the protocol
