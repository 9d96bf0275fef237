"""`BcEmulator`: the Business Central API v2.0 stand-in with its Python control API."""

from __future__ import annotations

import functools
import ssl
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.bc.app import BcApi
from sandbox.bc.control import Control
from sandbox.bc.entities import Registry, build_registry, d, find_by, stable_id
from sandbox.bc.errors import ApiError, fault_body
from sandbox.bc.odata import jsonable
from sandbox.bc.schema import METADATA_PATH, encode_enum
from sandbox.bc.store import Company, Record, Store, iso, new_id
from sandbox.bc.warehouse import (
    adjust_stock,
    find_order,
    invoice_order,
    set_price,
    set_stock,
    ship_order,
    update_tracking,
)
from sandbox.bc.webhooks import WebhookConfig, WebhookHub
from sandbox.entra import EntraEmulator
from sandbox.faults import FaultConfig, FaultInjector, Scope
from sandbox.server import RunningServer, serve_in_thread
from sandbox.tls import ensure_tls_files

DEFAULT_CURRENCIES = (("EUR", "Euro", "€"), ("GBP", "Pound Sterling", "£"), ("CAD", "Canadian dollar", "$"))
# Currencies whose minor unit is not the cent (ISO 4217): the "Amount Rounding Precision" and
# "Amount Decimal Places" a company sets up for them (BC's own default is 0.01 / "2:2" for any code).
MINOR_UNIT_CURRENCIES = {
    "JPY": (Decimal(1), "0:0"),
    "KWD": (Decimal("0.001"), "3:3"),
    "BHD": (Decimal("0.001"), "3:3"),
}
DEFAULT_TAX_RATES = {"STANDARD": Decimal(20), "REDUCED": Decimal(5), "ZERO": Decimal(0)}
DEFAULT_ACCOUNTS = (("6110", "Sales, Retail - Dom."), ("6410", "Freight Charges"), ("6910", "Fees and Charges"))
DEFAULT_AGENTS = (
    ("DHL", "DHL Systems, Inc.", "https://www.dhl.com/en/express/tracking.html?AWB=%1"),
    ("FEDEX", "Federal Express Corporation", "https://www.fedex.com/fedextrack/?trknbr=%1"),
    ("UPS", "UPS Shipping", "https://www.ups.com/track?tracknum=%1"),
)


@functools.cache
def _metadata_bytes() -> bytes:
    return METADATA_PATH.read_bytes()


class BcEmulator:
    def __init__(
        self,
        entra: EntraEmulator | None = None,
        tenant: str = "sandbox-tenant",
        environment: str = "sandbox",
        company_name: str = "CRONUS USA, Inc.",
        lcy_code: str = "USD",
        webhooks: WebhookConfig | None = None,
        max_page_size: int = 20000,
        tenant_aliases: Iterable[str] = (),
        demo_data: bool = False,
    ) -> None:
        self.entra = entra
        self.tenant = tenant
        self.environment = environment
        self.tenants = {tenant, *tenant_aliases}  # token `tid` values accepted (tenant GUID and domain)
        self.max_page_size = max_page_size
        self.processing_delay_s = 0.0  # server-side time per API request (to make requests overlap)
        self.store = Store()
        self.registry: Registry = build_registry(self.store)
        self.hub = WebhookHub(
            self.store, webhooks, verify=ssl.create_default_context(cafile=str(ensure_tls_files().ca_bundle))
        )
        self.api = BcApi(self)
        self.control = Control(self)
        self.faults = FaultInjector(self.api, user_of=self._user_of, error_body=fault_body)
        self.server: RunningServer | None = None
        self.company_id = self.add_company(company_name, lcy_code)
        if demo_data:
            self.seed_demo_data()

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self, port: int = 0) -> RunningServer:
        self.hub.start()
        self.server = serve_in_thread(self.faults, tls=True, port=port, name="bc")
        return self.server

    def stop(self) -> None:
        self.hub.stop()
        if self.server:
            self.server.stop()
            self.server = None

    def __enter__(self) -> BcEmulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self.server:
            raise RuntimeError("BcEmulator is not started")
        return self.server.url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2.0/{self.tenant}/{self.environment}/api/v2.0"

    @property
    def custom_api_url(self) -> str:
        """Service root of the tracking extension (`…/api/wooConnector/shipping/v1.0`)."""
        return f"{self.base_url}/v2.0/{self.tenant}/{self.environment}/api/wooConnector/shipping/v1.0"

    @property
    def ca_bundle(self) -> Path:
        return ensure_tls_files().ca_bundle

    @property
    def request_counts(self) -> Counter[str]:
        """`"GET customers"`, `"POST salesOrders"`, `"batch:POST salesOrders"`, `"requests"` (all HTTP)…"""
        return self.api.counts

    def reset_counters(self) -> None:
        self.api.counts.clear()
        self.faults.reset_counters()
        self.hub.counters.clear()

    def reset_faults(self) -> None:
        """No faults, no throttling, no processing delay; forget per-user throttle windows."""
        self.faults.config = FaultConfig()
        self.faults._users.clear()  # sliding-window state lives in the shared injector
        self.processing_delay_s = 0.0

    def _user_of(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer " and self.entra:
                info = self.entra.lookup(value[7:].decode().strip())
                return info.client_id if info else "anonymous"
        return "anonymous"

    def metadata_xml(self) -> bytes:
        return _metadata_bytes()

    def hub_etag(self, record: Record) -> str:
        return self.store.etag(f"subscription:{record['subscriptionId']}:{record['timestamp']}")

    def company_record(self, company: Company) -> Record:
        return {
            "id": company.id,
            "systemVersion": "26.0.30643.32481",
            "timestamp": 1000 + len(company.tables),
            "name": company.name,
            "displayName": company.display_name,
            "businessProfileId": "",
            "systemCreatedAt": company.created,
            "systemCreatedBy": "00000000-0000-0000-0000-000000000001",
            "systemModifiedAt": company.created,
            "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
        }

    # ---- seeding ----------------------------------------------------------------------------------
    def add_company(self, name: str, lcy_code: str = "USD", *, sales_tax: bool = True) -> str:
        """A new company; `sales_tax=False` makes it a VAT company (prices including tax allowed)."""
        company = Company(new_id(), name[:30], name, lcy_code, iso(self.store.clock.now()), sales_tax=sales_tax)
        company.tax_rates.update(DEFAULT_TAX_RATES)
        for number, account_name in DEFAULT_ACCOUNTS:
            company.accounts[number] = {
                "id": stable_id(company.id, "account", number),
                "number": number,
                "name": account_name,
            }
        for code, agent_name, url in DEFAULT_AGENTS:
            company.shipping_agents[code] = {"name": agent_name, "trackingUrl": url}
        with self.store.lock:
            self.store.companies[company.id] = company
            for code, display, symbol in DEFAULT_CURRENCIES:
                if code != lcy_code:
                    self._create(company, "currencies", {"code": code, "displayName": display, "symbol": symbol})
            self._create(company, "customerPaymentJournals", {"code": "CASHRCPT", "displayName": "Cash receipts"})
        return company.id

    def company(self, company_id: str | None = None) -> Company:
        company = self.store.company(company_id or self.company_id)
        if company is None:
            raise KeyError(company_id)
        return company

    def _create(self, company: Company, entity_set: str, body: dict[str, Any], parent: Record | None = None) -> Record:
        return self.registry.standard[entity_set].create(company, body, parent)

    def add_customer(self, company_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Fields use API names: `displayName`, `email`, `number`, `addressLine1`, `blocked`…"""
        with self.store.lock:
            return self._plain(self._create(self.company(company_id), "customers", fields))

    def add_item(
        self,
        number: str,
        display_name: str,
        unit_price: float | Decimal | str = 0,
        inventory: float | Decimal | str = 0,
        tax_group: str = "STANDARD",
        company_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        company = self.company(company_id)
        with self.store.lock:
            item = self._create(
                company,
                "items",
                {
                    "number": number,
                    "displayName": display_name,
                    "unitPrice": float(unit_price),
                    "taxGroupCode": tax_group,
                    **fields,
                },
            )
            if d(inventory):
                set_stock(self.store, company, item, d(inventory))
            return self._plain(item)

    def add_item_variant(
        self, item: str, code: str, description: str = "", company_id: str | None = None
    ) -> dict[str, Any]:
        company = self.company(company_id)
        with self.store.lock:
            parent = self._item(company, item)
            return self._plain(
                self._create(company, "itemVariants", {"code": code, "description": description}, parent)
            )

    def add_currency(
        self,
        code: str,
        display_name: str = "",
        symbol: str = "",
        company_id: str | None = None,
        *,
        rounding_precision: Decimal | None = None,
        decimal_places: str | None = None,
    ) -> dict[str, Any]:
        """A currency; JPY, KWD and BHD get their minor unit's rounding unless told otherwise."""
        precision, places = MINOR_UNIT_CURRENCIES.get(code.upper(), (None, None))
        body: dict[str, Any] = {"code": code, "displayName": display_name, "symbol": symbol}
        if rounding_precision is not None or precision is not None:
            body["amountRoundingPrecision"] = rounding_precision if rounding_precision is not None else precision
        if decimal_places is not None or places is not None:
            body["amountDecimalPlaces"] = decimal_places or places
        with self.store.lock:
            return self._plain(self._create(self.company(company_id), "currencies", body))

    def add_account(self, number: str, name: str, company_id: str | None = None) -> None:
        company = self.company(company_id)
        company.accounts[number] = {"id": stable_id(company.id, "account", number), "number": number, "name": name}

    def add_shipping_agent(self, code: str, name: str, tracking_url: str = "", company_id: str | None = None) -> None:
        self.company(company_id).shipping_agents[code] = {"name": name, "trackingUrl": tracking_url}

    def set_tax_rate(self, tax_group: str, percent: float | Decimal, company_id: str | None = None) -> None:
        self.company(company_id).tax_rates[tax_group] = d(percent)

    def block_customer(self, customer: str, blocked: str = "All", company_id: str | None = None) -> None:
        """`blocked`: "All", "Invoice", "Ship" or "" / "_x0020_" to unblock. Modifies the customer (webhook)."""
        company = self.company(company_id)
        with self.store.lock:
            record = self._customer(company, customer)
            members = self.store.schema.enums["Microsoft.NAV.customerBlocked"]
            record["blocked"] = encode_enum(blocked or " ", members) or "_x0020_"
            self.store.touch(company, "customers", record)

    def seed_demo_data(self) -> None:
        self.add_customer(
            number="C00010",
            displayName="Adatum Corporation",
            email="robert.townes@contoso.com",
            addressLine1="192 Market Square",
            city="Atlanta",
            state="GA",
            country="US",
            postalCode="31772",
        )
        self.add_customer(number="WEB", displayName="Web shop customers", email="shop@example.com")
        self.add_item("1896-S", "ATHENS Desk", 1000.8, inventory=40, unitCost=780.7)
        self.add_item("1900-S", "PARIS Guest Chair, black", 192.8, inventory=100, unitCost=150.7)
        self.add_item("1920-S", "ANTWERP Conference Table", 1300.0, inventory=5, unitCost=1000.0)
        self.add_item("GIFT", "Gift wrapping", 5.0, tax_group="REDUCED", type="Service")

    # ---- reads --------------------------------------------------------------------------------------
    @staticmethod
    def _plain(record: Record) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in record.items()}

    def records(self, entity_set: str, company_id: str | None = None) -> list[dict[str, Any]]:
        company = self.company(company_id)
        with self.store.lock:
            handler = self.registry.standard.get(entity_set) or self.registry.custom[entity_set]
            return [self._plain(r) for r in handler.records(company)]

    def record(self, entity_set: str, record_id: str, company_id: str | None = None) -> dict[str, Any] | None:
        found = [r for r in self.records(entity_set, company_id) if r["id"] == record_id.lower()]
        return found[0] if found else None

    def find(self, entity_set: str, field: str, value: Any, company_id: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.records(entity_set, company_id) if r.get(field) == value]

    def lines(self, entity_set: str, document_id: str, company_id: str | None = None) -> list[dict[str, Any]]:
        line_set = {
            "salesOrders": "salesOrderLines",
            "salesInvoices": "salesInvoiceLines",
            "salesCreditMemos": "salesCreditMemoLines",
            "salesShipments": "salesShipmentLines",
        }[entity_set]
        rows = [r for r in self.records(line_set, company_id) if r["documentId"] == document_id.lower()]
        return sorted(rows, key=lambda r: r["sequence"])

    def shipments(self, company_id: str | None = None) -> list[dict[str, Any]]:
        return self.records("salesShipments", company_id)

    def trackings(self, company_id: str | None = None) -> list[dict[str, Any]]:
        return self.records("shipmentTrackings", company_id)

    def subscriptions(self) -> list[dict[str, Any]]:
        return [s.record() for s in self.hub.all()]

    def _customer(self, company: Company, ref: str) -> Record:
        table = self.store.table(company, "customers")
        record = table.get(ref.lower()) or find_by(self.store, company, "customers", "number", ref)
        if record is None:
            raise KeyError(f"customer {ref}")
        return record

    def _item(self, company: Company, ref: str) -> Record:
        table = self.store.table(company, "items")
        record = table.get(ref.lower()) or find_by(self.store, company, "items", "number", ref)
        if record is None:
            raise KeyError(f"item {ref}")
        return record

    # ---- warehouse / back office -------------------------------------------------------------------
    def ship_order(
        self,
        order: str,
        quantities: dict[str, Any] | None = None,
        shipping_agent_code: str = "",
        tracking_number: str = "",
        company_id: str | None = None,
    ) -> dict[str, Any]:
        """Post a shipment for a sales order (id, number or externalDocumentNumber); `quantities` maps line
        id / sequence / item number to the quantity to ship (default: everything outstanding)."""
        company = self.company(company_id)
        with self.store.lock:
            record = find_order(self.store, company, order)
            return self._plain(
                ship_order(
                    self.store,
                    self.registry.standard,
                    company,
                    record,
                    quantities,
                    shipping_agent_code,
                    tracking_number,
                )
            )

    def invoice_order(self, order: str, company_id: str | None = None) -> dict[str, Any]:
        company = self.company(company_id)
        with self.store.lock:
            record = find_order(self.store, company, order)
            return self._plain(invoice_order(self.store, self.registry.standard, company, record))

    def update_tracking(
        self, shipment: str, tracking_number: str, shipping_agent_code: str | None = None, company_id: str | None = None
    ) -> dict[str, Any]:
        company = self.company(company_id)
        with self.store.lock:
            table = self.store.table(company, "salesShipments")
            record = table.get(shipment.lower()) or find_by(self.store, company, "salesShipments", "number", shipment)
            if record is None:
                raise KeyError(f"shipment {shipment}")
            return self._plain(update_tracking(self.store, company, record, tracking_number, shipping_agent_code))

    def set_stock(self, item: str, quantity: float | Decimal, company_id: str | None = None) -> None:
        """Post an item journal adjustment so `inventory` becomes `quantity` (no item webhook, no
        lastModifiedDateTime change on the item; an itemLedgerEntry appears)."""
        company = self.company(company_id)
        with self.store.lock:
            set_stock(self.store, company, self._item(company, item), d(quantity))

    def adjust_stock(self, item: str, delta: float | Decimal, company_id: str | None = None) -> None:
        company = self.company(company_id)
        with self.store.lock:
            adjust_stock(self.store, company, self._item(company, item), d(delta))

    def set_price(self, item: str, unit_price: float | Decimal, company_id: str | None = None) -> None:
        """Change the item card price: modifies the item (new ETag/lastModifiedDateTime, item webhook)."""
        company = self.company(company_id)
        with self.store.lock:
            set_price(self.store, company, self._item(company, item), d(unit_price))

    def set_keep_completed_orders(self, keep: bool, company_id: str | None = None) -> None:
        self.company(company_id).keep_completed_orders = keep

    # ---- clock and webhooks ------------------------------------------------------------------------
    def advance_clock(self, seconds: float) -> None:
        self.store.clock.advance(seconds)

    def age_subscriptions(self, seconds: float, subscription_id: str | None = None) -> None:
        self.hub.age(seconds, subscription_id)

    def flush_webhooks(self, timeout: float = 10.0) -> None:
        self.hub.flush(timeout)

    def delete_subscriptions(self, subscription_id: str | None = None) -> int:
        if subscription_id:
            return int(self.hub.delete(subscription_id))
        return self.hub.delete_all()


__all__ = ["ApiError", "BcEmulator"]
