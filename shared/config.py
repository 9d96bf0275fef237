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

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

KEY_VAULT_PREFIX = "@Microsoft.KeyVault("


class ConfigError(RuntimeError):
    """A setting is missing or unusable; the message names the setting."""


class WooStoreSettings(BaseModel):
    """One WooCommerce store: `WOO_STORES__<store id>__<FIELD>`."""

    url: str = Field(description="Store home URL, e.g. https://shop.example.com/")
    consumer_key: SecretStr
    consumer_secret: SecretStr
    webhook_secret: SecretStr = Field(description="The secret the store signs webhooks with")
    currency: str = "USD"

    @property
    def api_url(self) -> str:
        return self.url.rstrip("/") + "/wp-json/wc/v3"


class Settings(BaseSettings):
    """Every setting the connector reads. The README's configuration reference lists them all."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="__", extra="ignore", case_sensitive=False, populate_by_name=True
    )

    # Storage: a connection string, or identity-based AzureWebJobsStorage__* settings (see shared.storage).
    azure_web_jobs_storage: str | None = Field(default=None, alias="AzureWebJobsStorage")

    # WooCommerce stores (one or more).
    woo_stores: dict[str, WooStoreSettings] = Field(default_factory=dict)
    paid_statuses: Annotated[list[str], NoDecode] = Field(default=["processing", "completed"])

    # ERP selection and Business Central connection.
    erp: Literal["bc"] = "bc"
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

    # Customers: match by e-mail then phone and create when unknown, or book every order to one customer.
    customer_matching: Literal["email_then_phone", "default_customer"] = "email_then_phone"
    default_customer_number: str = ""

    # Orders.
    hold_notes: bool = True  # write a private note on the Woo order when it is held
    claim_timeout_seconds: int = 300  # a posting claim older than this is taken over
    max_reschedules: int = 12  # transient failures re-queued with backoff before the host's retries

    # The app's own public address, for the webhooks it creates: <PUBLIC_BASE_URL>/api/webhooks/woo/<store>?code=<key>
    public_base_url: str = ""
    webhook_function_key: SecretStr = SecretStr("")  # the woo_webhook function key (secret)

    # Safety net: the backfill polls Woo for orders the webhooks missed.
    backfill_lookback_hours: int = 24  # how far back the first run looks
    backfill_overlap_minutes: int = 10  # each run re-reads this much before the watermark

    # Outside calls.
    http_timeout_seconds: float = 30.0
    http_max_attempts: int = 4
    # ERP calls in flight at once across all instances and functions (blob-lease slots); 0 turns the limit off.
    erp_max_concurrent_calls: int = Field(default=5, ge=0, le=100)
    # Sandbox only: trust the local CA of the emulators. Empty in production.
    sandbox_ca_bundle: str = ""

    # Money.
    total_tolerance: Decimal = Decimal("0.01")

    # ERP → store: stock, prices and shipment tracking (shared.flows.stock, .prices, .shipments).
    stock_sync: bool = True  # push available-to-sell stock to WooCommerce
    stock_buffer: Decimal = Decimal(0)  # units held back on every SKU: ATS = ERP quantity - buffer, never below 0
    stock_buffer_overrides: dict[str, Decimal] = Field(default_factory=dict)  # JSON {"<Woo SKU or item no.>": 5}
    stock_manage_on: bool = True  # switch manage_stock on for products that do not manage stock yet
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

    def secret_fields(self) -> dict[str, SecretStr]:
        """Every secret setting by its app-setting name."""
        found = {
            "BC_CLIENT_SECRET": self.bc_client_secret,
            "WEBHOOK_FUNCTION_KEY": self.webhook_function_key,
            "BC_WEBHOOK_CLIENT_STATE": self.bc_webhook_client_state,
        }
        for store_id, store in self.woo_stores.items():
            for name in ("consumer_key", "consumer_secret", "webhook_secret"):
                found[f"WOO_STORES__{store_id}__{name.upper()}"] = getattr(store, name)
        return found


def app_setting_names(store_id: str = "<store>") -> list[str]:
    """The app-setting name of every setting, as the README, local.settings and Bicep must list them."""
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        if name == "woo_stores":
            names += [f"WOO_STORES__{store_id}__{sub.upper()}" for sub in WooStoreSettings.model_fields]
        else:
            names.append(field.alias or name.upper())
    return names


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
    if setting_name in ("BC_CLIENT_SECRET", "WEBHOOK_FUNCTION_KEY", "BC_WEBHOOK_CLIENT_STATE"):
        setattr(settings, setting_name.lower(), value)
        return
    _, store_id, field = setting_name.split("__")
    setattr(settings.woo_stores[store_id], field.lower(), value)


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
            ("BC_TENANT_ID", settings.bc_tenant_id),
            ("BC_COMPANY_ID", settings.bc_company_id),
            ("BC_CLIENT_ID", settings.bc_client_id),
            ("BC_CLIENT_SECRET", settings.bc_client_secret.get_secret_value()),
        )
        if not value
    ]
    if settings.customer_matching == "default_customer" and not settings.default_customer_number:
        missing.append("DEFAULT_CUSTOMER_NUMBER (CUSTOMER_MATCHING=default_customer)")
    if missing:
        raise ConfigError("Missing required setting(s): " + ", ".join(missing))
    return settings


def _identity_storage_configured() -> bool:
    return any(key.lower().startswith("azurewebjobsstorage__") for key in os.environ)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once on first use."""
    return load_settings()
