"""One typed Settings object, read from app settings (or local.settings.json Values).

Secrets may be Key Vault references. The platform resolves them before the app starts; when it could
not, the literal `@Microsoft.KeyVault(...)` text is left in the setting, so `load_settings` resolves
it itself with azure-keyvault-secrets, or stops at start-up with a message naming the setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, Discriminator, Field, SecretStr, Tag, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from shared.http import ca_bundle_problem

KEY_VAULT_PREFIX = "@Microsoft.KeyVault("

# The ERP connection that the flat BC_* settings describe (its ERP webhook route is `webhooks/erp/bc`,
# as it was before there were connections, so existing subscriptions keep working).
DEFAULT_CONNECTION = "bc"


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message names the setting."""


class WooStoreSettings(BaseModel):
    """One WooCommerce store: `WOO_STORES__<store id>__<FIELD>`."""

    url: str = Field(description="Store home URL, e.g. https://shop.example.com/")
    consumer_key: SecretStr
    consumer_secret: SecretStr
    webhook_secret: SecretStr = Field(description="The secret the store signs webhooks with")
    currency: str = "USD"
    erp: str = ""  # the ERP connection its orders post to ("" = the only one, or `bc`: the flat BC_* settings)
    document_prefix: str = ""  # before the Woo order number in the ERP (required when stores share a connection)
    # Extra CA certificates to trust for this store (a store behind a corporate CA): a PEM file path or
    # the PEM text. Added to the system trust store, never instead of it.
    ca_bundle: str = ""

    @property
    def api_url(self) -> str:
        return self.url.rstrip("/") + "/wp-json/wc/v3"


EXTERNAL_NUMBER_LENGTH = 35  # BC's externalDocumentNumber (Text[35]); each new ERP states its own
LONGEST_ORDER_NUMBER = 12  # Woo order numbers are ids (a sequential-numbering plugin may add a few characters)
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")


class BcConnection(BaseModel):
    """One Business Central company. `ERPS__<id>__KIND=bc` and `ERPS__<id>__<FIELD>`; the flat
    `BC_<FIELD>` settings are the connection `bc`, so a deployment from before connections is unchanged."""

    kind: Literal["bc"] = "bc"

    @field_validator("kind", mode="before")
    @classmethod
    def _lower_kind(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    tenant_id: str = ""
    environment: str = "production"
    company_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    api_url: str = "https://api.businesscentral.dynamics.com"
    authority: str = "https://login.microsoftonline.com"
    scope: str = "https://api.businesscentral.dynamics.com/.default"
    document_kind: Literal["salesOrder", "salesInvoice"] = "salesOrder"
    post_invoices: bool = False
    local_currency: str = "USD"
    shipping_line_type: Literal["Account", "Charge", "Item"] = "Account"
    shipping_number: str = ""
    fee_line_type: Literal["Account", "Charge", "Item"] = "Account"
    fee_number: str = ""
    sku_map: dict[str, str] = Field(default_factory=dict)
    tax_code_map: dict[str, str] = Field(default_factory=dict)
    refund_account: str = ""
    post_credit_memos: bool = False
    payment_journal: str = ""
    tracking_api: str = ""
    tracking_entity_set: str = "shipmentTrackings"
    webhook_client_state: SecretStr = SecretStr("")
    subscription_renew_hours: int = 36
    max_concurrency: int = 5  # BC's concurrent requests per user (facts: dynamics.md §1.6)
    ca_bundle: str = ""  # extra CA certificates for this ERP (PEM path or text), added to the system trust
    mapping_file: str = ""  # the connection's mapping (YAML; relative to the app root); "" = the kind's default

    @property
    def records_payments(self) -> bool:
        """Whether each paid order's payment is recorded in the ERP (a payment journal is set)."""
        return bool(self.payment_journal)

    @property
    def charge_targets(self) -> tuple[str, str]:
        """What Woo shipping and fee lines post to (empty: not set, such orders are refused)."""
        return self.shipping_number, self.fee_number

    @property
    def required(self) -> dict[str, str]:
        """What the connection cannot work without, by field name."""
        return {
            "tenant_id": self.tenant_id,
            "company_id": self.company_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value(),
        }


class FoConnection(BaseModel):
    """One Dynamics 365 Finance & Operations legal entity: `ERPS__<id>__KIND=fo` and `ERPS__<id>__<FIELD>`
    (facts: finance-operations.md; README "Finance & Operations")."""

    kind: Literal["fo"] = "fo"

    @field_validator("kind", mode="before")
    @classmethod
    def _lower_kind(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    environment_url: str = ""  # https://<environment>.operations.dynamics.com (no shared base URL)
    tenant_id: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    authority: str = "https://login.microsoftonline.com"
    scope: str = ""  # default <ENVIRONMENT_URL>/.default (facts §1.7)
    data_area_id: str = ""  # the legal entity (dataAreaId), e.g. usmf
    cross_company: bool = False  # true when the legal entity is not the Entra app user's default company
    document_kind: Literal["salesOrder"] = "salesOrder"
    local_currency: str = "USD"
    customer_group: str = ""  # CustomerGroupId of customers the connector creates (required by F&O)
    sales_order_numbers: Literal["woo", "sequence"] = "woo"  # woo: SalesOrderNumber = prefix + Woo number
    sales_order_prefix: str = "WOO-"  # before the Woo order number in SalesOrderNumber (sales_order_numbers=woo)
    sales_order_origin: str = ""  # SalesOrderOriginCode of the connector's orders, e.g. WOO ("" = none)
    sales_tax_group: str = ""  # SalesTaxGroupCode on every order ("" = the customer's)
    shipping_item: str = ""  # non-stock item number for Woo shipping lines
    fee_item: str = ""  # non-stock item number for Woo fee lines
    sku_map: dict[str, str] = Field(default_factory=dict)
    tax_code_map: dict[str, str] = Field(default_factory=dict)  # Woo tax class → SalesTaxItemGroupCode
    dimension_map: dict[str, str] = Field(default_factory=dict)  # Woo tax class → DefaultLedgerDimensionDisplayValue
    country_map: dict[str, str] = Field(default_factory=dict)  # ISO alpha-2 → F&O country/region id
    warehouses: Annotated[list[str], NoDecode] = Field(default_factory=list)  # InventoryWarehouseId list ([] = all)
    item_refunds: Literal["return_order", "credit_order"] = "return_order"
    return_reason_code: str = ""  # CustomerReturnReasonCode on return orders ("" = none)
    payment_journal: str = ""  # JournalName of a customer payment journal; "" = payments not recorded
    payment_offset_account_type: Literal["Bank", "Ledger"] = "Bank"
    payment_offset_account: str = ""  # bank account id or main account of the payment journal lines
    payment_method: str = ""  # PaymentMethodName on payment journal lines ("" = none)
    max_concurrency: int = Field(default=5, ge=0, le=100)
    ca_bundle: str = ""
    mapping_file: str = ""  # the connection's mapping (YAML, relative to the app root); "" = the F&O default

    @property
    def charge_targets(self) -> tuple[str, str]:
        """The non-stock items Woo shipping and fee lines post as (empty: not set, such orders are refused)."""
        return self.shipping_item, self.fee_item

    @field_validator("warehouses", mode="before")
    @classmethod
    def _split_warehouses(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def token_scope(self) -> str:
        return self.scope or self.environment_url.rstrip("/") + "/.default"

    @property
    def records_payments(self) -> bool:
        return bool(self.payment_journal)

    @property
    def required(self) -> dict[str, str]:
        return {
            "environment_url": self.environment_url,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value(),
            "data_area_id": self.data_area_id,
            "customer_group": self.customer_group,
        }


GP_DOCUMENT_NUMBER_LENGTH = 20  # GP's SOP/RM document numbers (SOPNUMBE char(21), DOCNUMBR char(21)); CSTPONBR is 20


# Which way a product field flows between an ERP and the store (GP connections: NAME_DIRECTION, PRICE_DIRECTION).
FieldDirection = Literal["gp", "woo", "both"]
SYNCED_FIELDS = ("name", "price")  # the product fields a direction can be set for


class GpConnection(BaseModel):
    """One Dynamics GP company, on premises: `ERPS__<id>__KIND=gp` and `ERPS__<id>__<FIELD>`.

    ``transport`` picks GP Web Services (SOAP, legacy endpoint) or the Service Based Architecture (REST, GP 2015+),
    whichever the merchant has enabled; both authenticate with NTLM as ``username`` (``DOMAIN\\user``)."""

    kind: Literal["gp"] = "gp"

    @field_validator("kind", mode="before")
    @classmethod
    def _lower_kind(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    transport: Literal["soap", "sba"] = "soap"
    url: str = ""  # the GP web server, e.g. https://gp.office.example.com (or :48620 for Web Services)
    soap_path: str = "/DynamicsGPWebServices/DynamicsGPService.asmx"
    wsdl: str = ""  # a local copy of the legacy WSDL; empty: read `<url><soap_path>?wsdl` at start
    tenant: str = "DefaultTenant"  # SBA tenant
    company_id: int = -1  # Web Services CompanyKey.Id
    company_name: str = ""  # SBA company (display name)
    username: str = ""  # DOMAIN\user, a GP user with Web Services / SBA rights
    password: SecretStr = SecretStr("")
    # SOP sales invoice, SOP sales order (shipments are its transfers to invoices) or receivables (RM) invoice
    document_type: Literal["sop", "sop_order", "rm"] = "sop"
    sop_document_type_id: str = "STDINV"  # the SOP type id of invoices (STDORD-like for orders)
    sop_order_type_id: str = "STDORD"
    sop_return_type_id: str = "STDRTN"  # SOP returns: refunds of item lines in the SOP modes
    document_number_prefix: str = "WOO"  # before the Woo order number in the GP document number
    batch_id: str = "WOO"  # the batch documents are saved into (BACHNUMB, 15 characters)
    post_batches: bool = False  # post the batch after each document (else a person posts it in GP)
    price_level: str = "RETAIL"
    sites: Annotated[list[str], NoDecode] = Field(default_factory=list)  # sites counted for stock; empty: all
    customer_class: str = ""  # the class new customers get
    gl_accounts: dict[str, dict[str, str]] = Field(default_factory=dict)  # class → role → GL account
    customer_gl_accounts: dict[str, dict[str, str]] = Field(default_factory=dict)  # customer → role → account
    checkbook_id: str = ""  # record each paid order's payment as a cash receipt into this checkbook
    local_currency: str = "USD"
    sku_map: dict[str, str] = Field(default_factory=dict)
    mapping_file: str = ""  # the connection's mapping (YAML, relative to the app root); "" = the GP default
    max_concurrency: int = 4  # GP has no documented limit: keep the on-premises server comfortable
    ca_bundle: str = ""  # the GP server's (corporate) CA, PEM path or text, added to the system trust
    # Product sync, per field: `gp` (GP is master: GP → Woo), `woo` (Woo → GP) or `both` (whichever side changed
    # since the last sync; both changed: a conflict, nothing overwritten). Writing to GP needs the SBA transport.
    name_direction: FieldDirection = "gp"
    price_direction: FieldDirection = "gp"

    @field_validator("name_direction", "price_direction", mode="before")
    @classmethod
    def _lower_direction(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("sites", mode="before")
    @classmethod
    def _split_sites(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def document_kind(self) -> Literal["salesOrder", "salesInvoice"]:
        """The port's document kind: SOP and RM invoices are invoices, SOP orders orders."""
        return "salesOrder" if self.document_type == "sop_order" else "salesInvoice"

    @property
    def records_payments(self) -> bool:
        return bool(self.checkbook_id)

    @property
    def field_directions(self) -> dict[str, FieldDirection]:
        """Product field → its direction (``gp``: GP is master)."""
        return {"name": self.name_direction, "price": self.price_direction}

    @property
    def required(self) -> dict[str, str]:
        company = self.company_name if self.transport == "sba" else str(self.company_id)
        return {
            "url": self.url,
            "username": self.username,
            "password": self.password.get_secret_value(),
            "company_name" if self.transport == "sba" else "company_id": company,
        }


def _kind_of(value: object) -> str:
    """A connection's kind (`ERPS__<id>__KIND`, any case); `bc` when not given, as before there were kinds."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return str(kind or "bc").lower()


# One ERP connection, by its kind (`ERPS__<id>__KIND`).
ErpConnection = Annotated[
    Annotated[BcConnection, Tag("bc")] | Annotated[FoConnection, Tag("fo")] | Annotated[GpConnection, Tag("gp")],
    Discriminator(_kind_of),
]
CONNECTION_MODELS: tuple[type[BaseModel], ...] = (BcConnection, FoConnection, GpConnection)


class Settings(BaseSettings):
    """Every setting the connector reads. The README's configuration reference lists them all."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="__", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    # Storage: a connection string, or identity-based AzureWebJobsStorage__* settings (see shared.storage).
    azure_web_jobs_storage: str | None = Field(default=None, alias="AzureWebJobsStorage")

    # WooCommerce stores (one or more).
    woo_stores: dict[str, WooStoreSettings] = Field(default_factory=dict)
    # ERP connections beyond the flat BC_* one: ERPS__<id>__KIND and ERPS__<id>__<FIELD>.
    erps: dict[str, ErpConnection] = Field(default_factory=dict)
    paid_statuses: Annotated[list[str], NoDecode] = Field(default=["processing", "completed"])

    # The flat Business Central connection (`bc`); more connections come from ERPS__<id>__* (`erps`).
    bc_tenant_id: str = ""
    bc_environment: str = "production"
    bc_company_id: str = ""
    bc_client_id: str = ""
    bc_client_secret: SecretStr = SecretStr("")
    bc_api_url: str = "https://api.businesscentral.dynamics.com"
    bc_authority: str = "https://login.microsoftonline.com"
    bc_scope: str = "https://api.businesscentral.dynamics.com/.default"

    # How orders become Business Central documents.
    bc_document_kind: Literal["salesOrder", "salesInvoice"] = "salesOrder"
    bc_post_invoices: bool = False
    bc_local_currency: str = "USD"
    bc_shipping_line_type: Literal["Account", "Charge", "Item"] = "Account"
    bc_shipping_number: str = ""
    bc_fee_line_type: Literal["Account", "Charge", "Item"] = "Account"
    bc_fee_number: str = ""
    bc_sku_map: dict[str, str] = Field(default_factory=dict)
    bc_tax_code_map: dict[str, str] = Field(default_factory=dict)
    bc_refund_account: str = ""  # G/L account for refunds of an amount without lines (and items BC no longer has)
    bc_post_credit_memos: bool = False  # post credit memos right after creating them
    bc_payment_journal: str = ""  # code of a customer payment journal (e.g. CASHRCPT): record Woo payments there
    bc_mapping_file: str = (
        ""  # the mapping file (README "Mapping your own fields"); "" = shared/erp/bc/default_mapping.yaml
    )

    # Customers: match by e-mail then phone and create when unknown, or book every order to one customer.
    customer_matching: Literal["email_then_phone", "default_customer"] = "email_then_phone"
    default_customer_number: str = ""

    # Orders.
    hold_notes: bool = True  # write a private note on the Woo order when it is held
    claim_timeout_seconds: int = 300  # a posting claim older than this is taken over
    max_reschedules: int = 12  # transient failures re-queued with backoff before the host's retries

    # The SKU mapping table (issue 16): how often a process checks it for changes, and how long the ERP
    # catalogue read for a held unknown SKU's suggestions is kept.
    sku_map_refresh_seconds: int = Field(default=30, ge=0)
    sku_suggestion_catalogue_minutes: int = Field(default=60, ge=0)

    # Anomaly flags (issue 16): an order or refund far outside its store's history is flagged, or held for review.
    anomaly_action: Literal["off", "flag", "hold"] = "flag"
    anomaly_min_history: int = Field(default=50, ge=1)  # orders a store has before anything is flagged
    anomaly_order_total_ratio: float = Field(default=10.0, gt=1)  # × the store's median order total
    anomaly_quantity_ratio: float = Field(default=10.0, gt=1)  # × the store's median quantity per line
    anomaly_new_customer_ratio: float = Field(default=5.0, gt=1)  # a new customer's first order × the median
    anomaly_rare_country_share: float = Field(default=0.001, ge=0, lt=1)  # ship-to countries rarer than this
    anomaly_velocity_orders: int = Field(default=4, ge=2)  # this many orders from one e-mail / to one address…
    anomaly_velocity_hours: float = Field(default=24.0, gt=0)  # …within this many hours
    anomaly_min_refunds: int = Field(default=10, ge=1)  # refunds a store has before refund sizes are judged
    anomaly_refund_ratio: float = Field(default=5.0, gt=1)  # × the store's median refund
    anomaly_customer_refunds: int = Field(default=3, ge=2)  # this many refunds for one customer…
    anomaly_customer_refund_days: float = Field(default=7.0, gt=0)  # …within this many days
    anomaly_refund_rate_ratio: float = Field(default=3.0, gt=1)  # recent refunds per order × the store's usual rate
    anomaly_refund_rate_days: int = Field(default=7, ge=1)  # "recent": this many days, today included
    anomaly_refund_rate_min_refunds: int = Field(default=5, ge=1)  # refunds in those days before the rate is judged
    anomaly_refund_rate_baseline_days: int = Field(default=56, ge=7)  # "usual": this many days before them

    # The app's own public address, for the webhooks it creates: <PUBLIC_BASE_URL>/api/webhooks/woo/<store>?code=<key>
    public_base_url: str = ""
    webhook_function_key: SecretStr = SecretStr("")  # the woo_webhook function key (secret)

    # Safety net: the backfill polls Woo for orders the webhooks missed.
    backfill_lookback_hours: int = 24  # how far back the first run looks
    backfill_overlap_minutes: int = 10  # each run re-reads this much before the watermark

    # Outside calls.
    http_timeout_seconds: float = 30.0
    http_max_attempts: int = 4
    # The flat connection's max_concurrency: its ERP calls in flight at once across all instances and functions
    # (blob-lease slots, shared/storage/erp_slots.py); 0 turns the limit off.
    bc_max_concurrency: int = Field(default=5, ge=0, le=100)
    # Sandbox only: trust the local CA of the emulators. Empty in production.
    sandbox_ca_bundle: str = ""
    # Extra CA certificates for the ERP connection (its API and its token authority): a PEM file path or
    # the PEM text, added to the system trust store. Per store: WOO_STORES__<store>__CA_BUNDLE.
    bc_ca_bundle: str = ""

    # Money.
    total_tolerance: Decimal = Decimal("0.01")

    # ERP → store: stock, prices and shipment tracking (shared.flows.stock, .prices, .shipments).
    stock_sync: bool = True  # push available-to-sell stock to WooCommerce
    stock_buffer: Decimal = Decimal(0)  # units held back on every SKU: ATS = ERP quantity - buffer, never below 0
    stock_buffer_overrides: dict[str, Decimal] = Field(default_factory=dict)  # JSON {"<Woo SKU or item no.>": 5}
    stock_manage_on: bool = True  # switch manage_stock on for products that do not manage stock yet
    stock_subtract_open_orders: bool = True  # ATS = inventory − quantities on open (unshipped) ERP sales orders
    price_sync: bool = True  # push the ERP unit price to regular_price (sale_price stays WooCommerce's)
    shipment_sync: bool = True  # write posted ERP shipments back to the Woo orders
    shipment_order_status: str = "completed"  # status of a fully shipped order ("" leaves the status alone)
    shipment_customer_note: bool = True  # one customer note per shipment with carrier and tracking
    shipment_tracking_meta: Literal["shipment_tracking", "simple", "none"] = "shipment_tracking"
    shipment_overlap_minutes: int = 10  # shipments are re-read this far behind the watermark (late commits)
    bc_tracking_api: str = ""  # custom API with package tracking, e.g. wooConnector/shipping/v1.0 ("" = none)
    bc_tracking_entity_set: str = "shipmentTrackings"

    # ERP webhooks: BC subscriptions on items, hints that make the stock/price push come sooner. The
    # notificationUrl is <PUBLIC_BASE_URL>/api/webhooks/erp/bc?code=<WEBHOOK_FUNCTION_KEY>; no subscriptions
    # (polling only) while PUBLIC_BASE_URL, WEBHOOK_FUNCTION_KEY or BC_WEBHOOK_CLIENT_STATE is empty.
    bc_webhook_client_state: SecretStr = SecretStr("")  # shared secret BC returns in every notification
    bc_subscription_renew_hours: int = 36  # renew a subscription that expires within this many hours

    @field_validator("paid_statuses", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def store(self, store_id: str) -> WooStoreSettings:
        try:
            return self.woo_stores[store_id.lower()]
        except KeyError:
            raise ConfigError(f"Unknown store {store_id!r}: set WOO_STORES__{store_id}__URL etc.") from None

    # ---- ERP connections

    def flat_connection(self) -> BcConnection:
        """The connection the flat BC_* settings describe."""
        prefix = "bc_"
        fields = {
            name: getattr(self, prefix + name)
            for name in BcConnection.model_fields
            if name != "kind" and prefix + name in Settings.model_fields
        }
        return BcConnection(**fields)

    def connections(self) -> dict[str, ErpConnection]:
        """Every ERP connection by id: the flat BC_* one (`bc`) unless only ERPS__* are configured."""
        found: dict[str, ErpConnection] = {}
        if not self.erps or self.bc_company_id:
            found[DEFAULT_CONNECTION] = self.flat_connection()
        found.update({connection_id.lower(): conn for connection_id, conn in self.erps.items()})
        return found

    def connection(self, connection_id: str) -> ErpConnection:
        try:
            return self.connections()[connection_id.lower()]
        except KeyError:
            known = ", ".join(sorted(self.connections())) or "none"
            raise ConfigError(f"Unknown ERP connection {connection_id!r} (configured: {known})") from None

    def connection_of(self, store_id: str) -> str:
        """The id of the connection a store's orders post to."""
        chosen = self.store(store_id).erp.lower()
        if chosen:
            return chosen
        connections = self.connections()
        return DEFAULT_CONNECTION if DEFAULT_CONNECTION in connections or not connections else next(iter(connections))

    def connection_of_store(self, store_id: str) -> ErpConnection:
        """The settings of the connection a store's orders post to."""
        return self.connection(self.connection_of(store_id))

    def stores_of(self, connection_id: str) -> list[str]:
        return [store for store in self.woo_stores if self.connection_of(store) == connection_id.lower()]

    def secret_fields(self) -> dict[str, SecretStr]:
        """Every secret setting by its app-setting name, wherever it is declared."""
        found = {
            (field.alias or name.upper()): value
            for name, field in Settings.model_fields.items()
            if isinstance(value := getattr(self, name), SecretStr)
        }
        for group, models in (("WOO_STORES", self.woo_stores), ("ERPS", self.erps)):
            for model_id, model in models.items():
                for name in type(model).model_fields:
                    if isinstance(value := getattr(model, name), SecretStr):
                        found[f"{group}__{model_id}__{name.upper()}"] = value
        return found


def app_setting_names(store_id: str = "<store>") -> list[str]:
    """The app-setting name of every setting, as the README, local.settings and Bicep must list them.

    ERPS__<connection>__<FIELD> settings (more connections) are listed by :func:`connection_setting_names`.
    """
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        if name == "woo_stores":
            names += [f"WOO_STORES__{store_id}__{sub.upper()}" for sub in WooStoreSettings.model_fields]
        elif name != "erps":
            names.append(field.alias or name.upper())
    return names


def connection_setting_names(connection_id: str = "<connection>") -> list[str]:
    names = dict.fromkeys(name for model in CONNECTION_MODELS for name in model.model_fields)
    return [f"ERPS__{connection_id}__{name.upper()}" for name in names]


def check_connections(settings: Settings) -> None:
    """Every store names a known connection, and stores that share one cannot collide on document numbers."""
    connections = settings.connections()
    problems: list[str] = []
    for store_id, store in settings.woo_stores.items():
        if store.erp and store.erp.lower() not in connections:
            problems.append(f"WOO_STORES__{store_id}__ERP names no ERP connection ({store.erp!r})")
        prefix = store.document_prefix
        if prefix and not _PREFIX.match(prefix):
            problems.append(f"WOO_STORES__{store_id}__DOCUMENT_PREFIX may hold letters, digits and '-' only")
        if len(prefix) + LONGEST_ORDER_NUMBER > EXTERNAL_NUMBER_LENGTH:
            room = EXTERNAL_NUMBER_LENGTH - LONGEST_ORDER_NUMBER
            problems.append(f"WOO_STORES__{store_id}__DOCUMENT_PREFIX is longer than {room} characters")
        connection = connections.get(settings.connection_of(store_id))
        if isinstance(connection, GpConnection):  # GP's document and PO numbers are 20 characters
            used = len(connection.document_number_prefix) + len(prefix) + LONGEST_ORDER_NUMBER
            if used > GP_DOCUMENT_NUMBER_LENGTH:
                problems.append(
                    f"the GP document number of WOO_STORES__{store_id}__DOCUMENT_PREFIX + the connection's "
                    f"DOCUMENT_NUMBER_PREFIX + a {LONGEST_ORDER_NUMBER}-digit order number is longer than "
                    f"GP's {GP_DOCUMENT_NUMBER_LENGTH} characters: shorten the prefixes"
                )
    problems += _direction_problems(settings)
    for connection_id in connections:
        sharing = settings.stores_of(connection_id)
        prefixes = [settings.woo_stores[store].document_prefix.upper() for store in sharing]
        if len(sharing) > 1 and ("" in prefixes or len(set(prefixes)) < len(prefixes)):
            problems.append(
                f"stores {', '.join(sharing)} share ERP connection {connection_id!r}: give each its own "
                "WOO_STORES__<store>__DOCUMENT_PREFIX so their order numbers cannot collide"
            )
    if problems:
        raise ConfigError("; ".join(problems))


def _direction_problems(settings: Settings) -> list[str]:
    """A product field that flows to GP needs the SBA transport: GP Web Services (the legacy WSDL) have
    CreateSalesItem and CreatePricing but no UpdateSalesItem or UpdatePricing, so SOAP cannot change an item."""
    problems = []
    for connection_id, connection in settings.erps.items():
        if not isinstance(connection, GpConnection) or connection.transport != "soap":
            continue
        for field_name, direction in connection.field_directions.items():
            if direction != "gp":
                problems.append(
                    f"ERPS__{connection_id}__{field_name.upper()}_DIRECTION={direction} writes item {field_name}s "
                    "to GP, but this connection uses GP Web Services (TRANSPORT=soap), whose WSDL has no operation "
                    "that updates an item or its price (CreateSalesItem/CreatePricing only): set "
                    f"ERPS__{connection_id}__TRANSPORT=sba, or keep {field_name.upper()}_DIRECTION=gp"
                )
    return problems


def two_way_fields(connection: object) -> dict[str, FieldDirection]:
    """The product fields of a connection whose direction is not "ERP is master" (``woo`` or ``both``); empty
    for every connection kind without directions (BC, F&O: the ERP is master, invariant 4)."""
    directions: dict[str, FieldDirection] = getattr(connection, "field_directions", {})
    return {name: direction for name, direction in directions.items() if direction != "gp"}


# ---------------------------------------------------------------- Key Vault references


@dataclass(frozen=True)
class KeyVaultReference:
    vault_url: str
    name: str
    version: str | None = None


_SECRET_URI = re.compile(r"^https://(?P<host>[^/]+)/secrets/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?/?$")


def parse_key_vault_reference(value: str) -> KeyVaultReference | None:
    """Parse `@Microsoft.KeyVault(SecretUri=...)` or `@Microsoft.KeyVault(VaultName=..;SecretName=..)`."""
    text = value.strip()
    if not (text.startswith(KEY_VAULT_PREFIX) and text.endswith(")")):
        return None
    inner = text[len(KEY_VAULT_PREFIX) : -1]
    parts: dict[str, str] = {}
    for item in inner.split(";"):
        key, _, val = item.partition("=")
        if key.strip():
            parts[key.strip()] = val.strip()
    if "SecretUri" in parts:
        match = _SECRET_URI.match(parts["SecretUri"])
        if not match:
            raise ConfigError(f"Malformed Key Vault SecretUri: {parts['SecretUri']!r}")
        return KeyVaultReference(f"https://{match['host']}", match["name"], match["version"] or None)
    if "VaultName" in parts and "SecretName" in parts:
        return KeyVaultReference(
            f"https://{parts['VaultName']}.vault.azure.net", parts["SecretName"], parts.get("SecretVersion")
        )
    raise ConfigError("A Key Vault reference needs SecretUri=... or VaultName=...;SecretName=...")


SecretResolver = Callable[[KeyVaultReference], str]


def key_vault_resolver() -> SecretResolver:
    """Resolve references with the app's managed identity (AZURE_CLIENT_ID picks a user-assigned one)."""
    from azure.identity import DefaultAzureCredential
    from azure.keyvault.secrets import SecretClient

    credential = DefaultAzureCredential(managed_identity_client_id=os.environ.get("AZURE_CLIENT_ID"))
    clients: dict[str, SecretClient] = {}

    def resolve(ref: KeyVaultReference) -> str:
        if ref.vault_url not in clients:
            # Explicit timeouts and retries: the SDK's defaults would let start-up hang for minutes.
            clients[ref.vault_url] = SecretClient(
                ref.vault_url, credential, connection_timeout=10, read_timeout=30, retry_total=3
            )
        client = clients[ref.vault_url]
        value = client.get_secret(ref.name, ref.version).value
        if value is None:
            raise ConfigError(f"secret {ref.name!r} in {ref.vault_url} has no value")
        return value

    return resolve


def resolve_secrets(settings: Settings, resolver: SecretResolver) -> Settings:
    """Replace unresolved Key Vault references with their values; fail naming the setting."""
    for setting_name, secret in settings.secret_fields().items():
        ref = parse_key_vault_reference(secret.get_secret_value())
        if ref is None:
            continue
        try:
            value = resolver(ref)
        except Exception as exc:
            raise ConfigError(
                f"Setting {setting_name} is a Key Vault reference the platform did not resolve, and "
                f"reading secret {ref.name!r} from {ref.vault_url} failed: {type(exc).__name__}"
            ) from exc
        _assign_secret(settings, setting_name, SecretStr(value))
    return settings


def _assign_secret(settings: Settings, setting_name: str, value: SecretStr) -> None:
    if "__" not in setting_name:
        setattr(settings, setting_name.lower(), value)
        return
    group, model_id, field = setting_name.split("__")
    models: dict[str, BaseModel] = {**settings.woo_stores} if group == "WOO_STORES" else {**settings.erps}
    setattr(models[model_id], field.lower(), value)


# ---------------------------------------------------------------- loading


def load_settings(resolver: SecretResolver | None = None) -> Settings:
    """Read settings from the environment, validate them and resolve Key Vault references.

    Any problem is a ConfigError naming the setting.
    """
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{_setting_name(err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False))
        raise ConfigError(f"Invalid settings: {problems}") from None
    except SettingsError as exc:
        raise ConfigError(f"Invalid settings: {exc} ({exc.__cause__})") from None
    needs_vault = any(parse_key_vault_reference(s.get_secret_value()) for s in settings.secret_fields().values())
    if needs_vault:
        resolve_secrets(settings, resolver or key_vault_resolver())
    return settings


def _setting_name(loc: tuple[int | str, ...]) -> str:
    return "__".join(str(part).upper() for part in loc)


def check_app_settings(settings: Settings) -> Settings:
    """What the function app cannot run without; a start-up error names every missing setting."""
    missing = [
        name
        for name, value in (
            ("AzureWebJobsStorage", settings.azure_web_jobs_storage or _identity_storage_configured()),
            ("WOO_STORES__<store>__URL (at least one store)", settings.woo_stores),
        )
        if not value
    ]
    for connection_id, connection in settings.connections().items():
        flat = connection_id == DEFAULT_CONNECTION and connection_id not in {k.lower() for k in settings.erps}
        missing += [
            f"BC_{field.upper()}" if flat else f"ERPS__{connection_id}__{field.upper()}"
            for field, value in connection.required.items()
            if not value
        ]
    if settings.customer_matching == "default_customer" and not settings.default_customer_number:
        missing.append("DEFAULT_CUSTOMER_NUMBER (CUSTOMER_MATCHING=default_customer)")
    if missing:
        raise ConfigError("Missing required setting(s): " + ", ".join(missing))
    bundles = {"BC_CA_BUNDLE": settings.bc_ca_bundle, "SANDBOX_CA_BUNDLE": settings.sandbox_ca_bundle}
    bundles.update({f"WOO_STORES__{s}__CA_BUNDLE": store.ca_bundle for s, store in settings.woo_stores.items()})
    bundles.update({f"ERPS__{c}__CA_BUNDLE": connection.ca_bundle for c, connection in settings.erps.items()})
    unusable = [f"{name}: {problem}" for name, value in bundles.items() if (problem := ca_bundle_problem(value))]
    if unusable:
        raise ConfigError("Unusable CA bundle setting(s): " + "; ".join(unusable))
    check_connections(settings)
    return settings


def _identity_storage_configured() -> bool:
    return any(key.lower().startswith("azurewebjobsstorage__") for key in os.environ)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once on first use."""
    return load_settings()
