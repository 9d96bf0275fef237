"""`GpEmulator`: the Dynamics GP stand-in (Web Services SOAP + SBA REST behind NTLM) with its Python control API."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.faults import FaultConfig
from sandbox.gp.app import SoapEndpoint, build_app
from sandbox.gp.control import Control
from sandbox.gp.ntlm import NtlmGate, write_user_file
from sandbox.gp.sba import SbaApi
from sandbox.gp.soap import SoapService, money
from sandbox.gp.store import Company, GpStore, key_tuple, now
from sandbox.lifecycle import Emulator
from sandbox.probe import Fault

DEFAULT_DOMAIN = "GPDOM"
DEFAULT_USERS = {"gpuser": "Password01"}
DEFAULT_WAREHOUSE = "MAIN"
DEFAULT_COMPANY_ID = -1
PRIMARY_ADDRESS = "PRIMARY"


class GpEmulator(Emulator):
    name = "gp"

    def __init__(
        self,
        *,
        users: dict[str, str] | None = None,
        domain: str = DEFAULT_DOMAIN,
        company_name: str = "Fabrikam, Inc.",
        faults: FaultConfig | None = None,
    ) -> None:
        self.domain = domain
        self.users = dict(users or DEFAULT_USERS)
        self._user_dir = tempfile.TemporaryDirectory(prefix="gp-ntlm-")
        self.user_file = write_user_file(Path(self._user_dir.name) / "ntlm_users", self.users, domain)
        self.store = GpStore()
        # GP's sample company is reached as CompanyKey{Id=-1} in Microsoft's Web Services samples (cc508425).
        self.default_company = self.store.add_company(company_name, company_id=DEFAULT_COMPANY_ID)
        self.soap = SoapService(self.store)
        self.sba = SbaApi(self.store, self.soap)
        routes = [
            *SoapEndpoint(self.store, self.soap).routes(),
            *self.sba.routes(),
            *Control(self).routes(),
        ]
        self.gate = NtlmGate(build_app(routes), user_file=self.user_file)
        self.serve_with_faults(self.gate, faults, user_of=self._user_of, error_body=_iis_error_body)

    @staticmethod
    def _user_of(scope: Any) -> str:
        client = scope.get("client") or ("?", 0)
        return str(client[0])

    # ---- faults -----------------------------------------------------------------------------------
    def inject_fault(self, fault: Fault, *, retry_after: int | None = None, hang_seconds: float = 10.0) -> None:
        """Start a fault (sandbox.probe.Fault) until :meth:`reset_faults`. TOKEN_EXPIRED: every authenticated
        connection must run the NTLM handshake again; UNAUTHORIZED: the account lost its rights (401)."""
        if fault is Fault.TOKEN_EXPIRED:
            self.gate.forget_sessions()
        elif fault is Fault.UNAUTHORIZED:
            self.gate.always_unauthorized = True
        elif fault is Fault.THROTTLED:
            self.faults.config = FaultConfig(error_rate=1.0, error_statuses=(429,), retry_after_seconds=retry_after)
        elif fault is Fault.UNAVAILABLE:
            self.faults.config = FaultConfig(outage=True, retry_after_seconds=retry_after)
        elif fault is Fault.SERVER_ERROR:
            self.faults.config = FaultConfig(error_rate=1.0, error_statuses=(500,), retry_after_seconds=None)
        elif fault is Fault.TIMEOUT:
            self.faults.config = FaultConfig(timeout_rate=1.0, timeout_hang_seconds=hang_seconds)

    def reset_faults(self) -> None:
        super().reset_faults()
        self.gate.always_unauthorized = False

    # ---- control API (Python) -------------------------------------------------------------------
    def add_company(self, name: str) -> Company:
        return self.store.add_company(name)

    def company(self, company_id: int | None = None) -> Company:
        return self.store.companies[self.default_company.id if company_id is None else company_id]

    def seed_customer(
        self, customer_id: str, *, name: str = "", email: str = "", phone: str = "", company_id: int | None = None
    ) -> dict[str, Any]:
        company = self.company(company_id)
        stamp = now()
        address_key = {"CustomerKey": {"Id": customer_id}, "Id": PRIMARY_ADDRESS}
        customer: dict[str, Any] = {
            "Key": {"Id": customer_id},
            "Name": name or customer_id,
            "IsActive": True,
            "IsOnHold": False,
            "DefaultAddressKey": address_key,
            "CreatedDate": stamp,
            "ModifiedDate": stamp,
            "LastModifiedDate": stamp,
        }
        # E-mail and phone live on the customer's address in GP's object model (CustomerAddress.InternetAddresses).
        address: dict[str, Any] = {
            "Key": address_key,
            "Name": name or customer_id,
            "Phone1": {"Value": phone} if phone else None,
            "InternetAddresses": {"EmailToAddress": email} if email else None,
            "CreatedDate": stamp,
            "ModifiedDate": stamp,
            "LastModifiedDate": stamp,
        }
        with self.store.lock:
            company.entities["Customer"][key_tuple(customer["Key"])] = customer
            company.entities["CustomerAddress"][key_tuple(address_key)] = address
        return customer

    def seed_item(
        self,
        item_id: str,
        *,
        price: Decimal,
        stock: Decimal = Decimal(0),
        description: str = "",
        warehouse: str = DEFAULT_WAREHOUSE,
        price_level: str = "RETAIL",
        company_id: int | None = None,
    ) -> None:
        company = self.company(company_id)
        stamp = now()
        item: dict[str, Any] = {
            "__type__": "SalesItem",
            "Key": {"Id": item_id},
            "Description": description or item_id,
            "Type": "Sales Item",
            "IsDiscontinued": False,
            "CurrentCost": money(Decimal(0), company.currency),
            "DefaultPriceLevelKey": {"Id": price_level},
            "Quantities": {"SalesItemWarehouse": [_site(item_id, warehouse, stock)]},
            "CreatedDate": stamp,
            "ModifiedDate": stamp,
            "LastModifiedDate": stamp,
        }
        with self.store.lock:
            company.entities["Item"][(item_id,)] = item
            company.entities["ItemWarehouse"][(item_id, warehouse)] = {
                "Key": {"ItemKey": {"Id": item_id}, "WarehouseKey": {"Id": warehouse}},
            }
            company.entities["PriceLevel"].setdefault(
                (price_level,), {"Key": {"Id": price_level}, "Description": price_level}
            )
            pricing_key = {
                "ItemKey": {"Id": item_id},
                "CurrencyKey": {"ISOCode": company.currency},
                "PriceLevelKey": {"Id": price_level},
            }
            company.entities["Pricing"][(item_id, company.currency, price_level)] = {
                "Key": pricing_key,
                "Details": {"PricingDetail": [_price_detail(pricing_key, price, company.currency)]},
                "LastModifiedDate": stamp,
            }


def _site(item_id: str, warehouse: str, on_hand: Decimal) -> dict[str, Any]:
    return {
        "Key": {"ItemKey": {"Id": item_id}, "WarehouseKey": {"Id": warehouse}},
        "OnHandQuantity": {"Value": on_hand, "DecimalDigits": 0},
        "AllocatedQuantity": {"Value": Decimal(0), "DecimalDigits": 0},
    }


def _price_detail(pricing_key: dict[str, Any], price: Decimal, currency: str) -> dict[str, Any]:
    """One price band of a price level: up to the largest quantity, at a fixed amount."""
    return {
        "Key": {"PricingKey": pricing_key, "ToQuantity": {"Value": Decimal(999999999), "DecimalDigits": 0}},
        "UofMPrice": {"Amount": money(price, currency)},
    }


def _iis_error_body(status: int) -> tuple[bytes, str]:
    """An injected failure answers as IIS / HTTP.sys does in front of GP: a short HTML page, not JSON or SOAP."""
    titles = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    title = titles.get(status, "Error")
    return (f"<h1>{title}</h1><p>HTTP Error {status}.</p>".encode(), "text/html")
