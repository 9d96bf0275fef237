"""`python -m sandbox --store-url https://… --consumer-key … --consumer-secret …`: the connector against the
merchant's own (staging) WooCommerce, with the emulated ERP of their choice.

What it does, in order:
1. Checks the store, and stops with a clear message when it is not usable: a URL that is not HTTPS (WooCommerce
   takes a consumer key over HTTPS only, facts woocommerce.md §2.1), a host that cannot be reached or answers
   only plain HTTP, a URL with no WooCommerce REST API behind it, a wrong key, a key that cannot read orders or
   manage webhooks (its user needs the manage_woocommerce capability).
2. Starts Azurite, Entra ID, the ERP emulator and the local Functions host, and seeds the emulated ERP with the
   store's SKUs (name, price and stock of every product and variation with a SKU), so its orders can post.
3. Creates the three order webhooks on the store, delivering to ``--public-url`` (a tunnel to this machine, e.g.
   ngrok or cloudflared) or to this machine's local host URL; with a public URL it first checks the URL reaches
   the local host. A store that cannot reach the host still gets its orders through the backfill timer.
4. Shows each order as it arrives (posted or held, with why) until Ctrl-C, then deletes the webhooks it created.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console

from sandbox.erp_kinds import erp_kind
from sandbox.stack import STORE_ID, Stack
from sandbox.tls import ensure_tls_files
from shared.flows.webhook_health import REQUIRED_TOPICS
from shared.http import ApiClient, HttpError, PermanentHttpError, RetryPolicy, TransientHttpError

CHECK_TIMEOUT = 20.0
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
ITEM_NUMBER_LENGTH = 20  # BC's Code20 item numbers (facts dynamics.md); longer SKUs are not seeded


class StoreProblem(Exception):
    """The store cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class StoreAccess:
    url: str
    consumer_key: str
    consumer_secret: str

    @property
    def api_url(self) -> str:
        return self.url.rstrip("/") + "/wp-json/wc/v3"


def _cause(exc: BaseException) -> str:
    """The transport's own words (DNS, refused, TLS), which the classified error leaves out."""
    inner = exc.__cause__ or exc.__context__
    return str(inner or exc).strip() or type(inner or exc).__name__


def api_client(access: StoreAccess, *, attempts: int = 2) -> ApiClient:
    return ApiClient(
        "woo",
        access.api_url,
        timeout=CHECK_TIMEOUT,
        policy=RetryPolicy(max_attempts=attempts),
        auth=httpx.BasicAuth(access.consumer_key, access.consumer_secret),
        verify=[str(ensure_tls_files().ca_bundle)],  # the sandbox CA added to the system trust, for emulated stores
    )


def check_store(access: StoreAccess, *, attempts: int = 2) -> dict[str, Any]:
    """Raise StoreProblem unless the store answers its REST API over HTTPS to this key, with the rights the
    connector needs; return the store's environment (WooCommerce version...)."""
    parts = urlsplit(access.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreProblem(f"{access.url!r} is not a store URL: give its home URL, e.g. https://shop.example.com/")
    if parts.scheme == "http":
        raise StoreProblem(
            f"{access.url} is plain HTTP: WooCommerce accepts a REST API key only over HTTPS (over HTTP it wants "
            "OAuth 1.0a signatures). Use the store's https:// URL; a staging store needs a certificate."
        )
    api = api_client(access, attempts=attempts)
    try:
        try:
            index = api.request("GET", "")
        except TransientHttpError as exc:
            if exc.status is not None:
                raise StoreProblem(f"{access.url} answered {exc.status}: the store is not working right now") from None
            if _answers_plain_http(parts.hostname, parts.port):
                raise StoreProblem(
                    f"{parts.hostname} answers only plain HTTP, not HTTPS ({_cause(exc)}): WooCommerce takes the "
                    "connector's key over HTTPS only. Put the store behind HTTPS (a certificate for staging)."
                ) from None
            raise StoreProblem(f"cannot reach {parts.hostname} over HTTPS: {_cause(exc)}") from None
        except PermanentHttpError as exc:
            raise StoreProblem(
                f"no WooCommerce REST API at {access.api_url} (it answered {exc.status}): check the store's home "
                "URL, that WooCommerce is active and that permalinks are not 'Plain'"
            ) from None
        routes = _json(index).get("routes") if isinstance(_json(index), dict) else None
        if not isinstance(routes, dict) or "/wc/v3/orders" not in routes:
            raise StoreProblem(f"{access.api_url} is not a WooCommerce REST API (no /wc/v3/orders route)")
        try:
            environment = api.request("GET", "system_status", params={"_fields": "environment"}).json()
            api.request("GET", "orders", params={"per_page": 1, "_fields": "id"})
        except PermanentHttpError as exc:
            code = (exc.body or {}).get("code", "") if isinstance(exc.body, dict) else ""
            if exc.status == 401 and code in ("woocommerce_rest_authentication_error", ""):
                raise StoreProblem(
                    f"the store refused the consumer key or secret ({exc.status} {code}): copy them again from "
                    "WooCommerce → Settings → Advanced → REST API"
                ) from None
            raise StoreProblem(
                f"the key cannot read the store ({exc.status} {code}): it needs Read/Write permissions for a user "
                "who can manage WooCommerce"
            ) from None
        try:
            api.request("GET", "webhooks", params={"per_page": 1})
        except PermanentHttpError as exc:
            raise StoreProblem(
                f"the key cannot manage webhooks ({exc.status}): its user needs the manage_woocommerce capability "
                "(a shop manager or administrator)"
            ) from None
    except HttpError as exc:  # a later call that failed for good after its retries
        raise StoreProblem(f"the store stopped answering: {_cause(exc)}") from None
    finally:
        api.close()
    return environment.get("environment", {}) if isinstance(environment, dict) else {}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _answers_plain_http(host: str, port: int | None) -> bool:
    """Whether the host speaks plain HTTP where HTTPS was asked for (its port, or 80 for the default one)."""
    netloc = f"[{host}]" if ":" in host else host
    try:
        httpx.head(f"http://{netloc}:{port or 80}/", timeout=5.0, follow_redirects=False)
    except httpx.HTTPError:
        return False
    return True


# ------------------------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True)
class StoreItem:
    sku: str
    name: str
    price: Decimal
    stock: Decimal


def store_items(api: ApiClient) -> list[StoreItem]:
    """Every product and variation with a SKU of its own: what the emulated ERP needs as items."""
    items: list[StoreItem] = []
    fields = "id,sku,name,type,price,regular_price,stock_quantity"
    for product in _pages(api, "products", {"_fields": fields}):
        found = [product]
        if product.get("type") == "variable":
            variations = _pages(api, f"products/{product['id']}/variations", {"_fields": fields})
            found = [v for v in variations if str(v.get("sku") or "") != str(product.get("sku") or "")]
        for entry in found:
            sku = str(entry.get("sku") or "").strip()
            if sku and entry.get("type") not in ("grouped", "external"):
                name = str(entry.get("name") or sku)
                items.append(
                    StoreItem(sku, name, _number(entry.get("regular_price")), _number(entry.get("stock_quantity")))
                )
    return items


def _number(value: Any) -> Decimal:
    try:
        return max(Decimal(str(value)), Decimal(0)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _pages(api: ApiClient, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        response = api.request("GET", path, params={**params, "per_page": 100, "page": page})
        batch = response.json()
        found.extend(batch)
        if page >= int(response.headers.get("x-wp-totalpages", "1") or 1) or not batch:
            return found
        page += 1


def _seed_bc(emulator: Any, items: list[StoreItem]) -> list[str]:
    skipped = []
    for item in items:
        if len(item.sku) > ITEM_NUMBER_LENGTH:
            skipped.append(item.sku)
            continue
        emulator.add_item(item.sku.upper(), item.name[:100], item.price, inventory=item.stock)
    return skipped


def _seed_fo(emulator: Any, items: list[StoreItem]) -> list[str]:
    company = emulator.store.companies[emulator.default_company]
    skipped = []
    for item in items:
        if len(item.sku) > ITEM_NUMBER_LENGTH:  # F&O's ItemId is 20 characters too (unconfirmed)
            skipped.append(item.sku)
            continue
        emulator.warehouse.seed_product(company, item.sku.upper(), item.price, item.name[:60])
        emulator.warehouse.move_stock(company, item.sku.upper(), item.stock)
    return skipped


GP_ITEM_NUMBER_LENGTH = 30  # ITEMNMBR char(31) (shared/erp/gp/mapping.py)


def _seed_gp(emulator: Any, items: list[StoreItem]) -> list[str]:
    skipped = []
    for item in items:
        if len(item.sku) > GP_ITEM_NUMBER_LENGTH:
            skipped.append(item.sku)
            continue
        emulator.seed_item(item.sku.upper(), price=item.price, stock=item.stock, description=item.name[:100])
    return skipped


SEEDERS: dict[str, Callable[[Any, list[StoreItem]], list[str]]] = {"bc": _seed_bc, "fo": _seed_fo, "gp": _seed_gp}
"""How each ERP emulator takes the store's SKUs as items (returns the SKUs it could not take)."""


# ----------------------------------------------------------------------------------------------- the stack


@dataclass
class OwnStoreStack(Stack):
    """The sandbox stack with the merchant's store in place of the WooCommerce emulator."""

    access: StoreAccess = field(default_factory=lambda: StoreAccess("", "", ""))
    public_url: str = ""
    skipped_skus: list[str] = field(default_factory=list)
    created_webhooks: list[int] = field(default_factory=list)
    seeded: int = 0

    webhook_url: str = ""

    def start(self) -> OwnStoreStack:
        from sandbox.azurite import Azurite
        from sandbox.entra import EntraEmulator
        from sandbox.host import LocalHost
        from sandbox.server import bind_socket
        from sandbox.stack import REPO
        from shared.flows.services import reset_services, services

        if self.erp not in SEEDERS:
            raise StoreProblem(f"the {self.erp} emulator cannot take a store's SKUs yet (sandbox/own_store.py)")
        self.api = api_client(self.access, attempts=4)
        items = store_items(self.api)
        if self.azurite is None:
            self.azurite = Azurite().start()
            self._own_azurite = True
        self.entra = EntraEmulator(clients={self.client_id: self.client_secret})
        self.entra.start(self.ports.entra)
        self.erp_emulator = self.erp_kind.start(self.entra, getattr(self.ports, self.erp, 0))
        self.skipped_skus = SEEDERS[self.erp](self.erp_emulator, items)
        self.seeded = len(items) - len(self.skipped_skus)
        if not self.ports.host:
            probe = bind_socket()
            self.ports.host = probe.getsockname()[1]
            probe.close()
        self.webhook_secret = secrets.token_urlsafe(24)
        self.function_key = secrets.token_urlsafe(24)
        os.environ["SANDBOX_FUNCTION_KEY"] = self.function_key
        os.environ.setdefault("SANDBOX_MASTER_KEY", secrets.token_urlsafe(24))
        self.settings = self.app_settings()
        os.environ.update(self.settings)
        reset_services()
        services().ensure_storage()
        self.host = LocalHost(REPO, host_id="sandbox").start(self.ports.host)
        base = self.public_url.rstrip("/") or f"http://127.0.0.1:{self.ports.host}"
        self.webhook_url = f"{base}/api/webhooks/woo/{STORE_ID}?code={self.function_key}"
        if self.public_url:
            check_public_url(self.webhook_url)
        for topic in REQUIRED_TOPICS:
            body = {"name": f"Connector sandbox {topic}", "topic": topic, "delivery_url": self.webhook_url,
                    "secret": self.webhook_secret}  # fmt: skip
            try:
                created = self.api.request("POST", "webhooks", json=body).json()
            except PermanentHttpError as exc:
                if exc.status in (401, 403):
                    raise StoreProblem(
                        f"the key cannot write ({exc.status}): the connector creates webhooks and writes notes, "
                        "stock and statuses, so the key needs Read/Write permissions"
                    ) from None
                raise
            self.created_webhooks.append(int(created["id"]))
        return self

    def app_settings(self) -> dict[str, str]:
        assert self.azurite is not None
        base = self.public_url.rstrip("/") or f"http://127.0.0.1:{self.ports.host}"
        return {
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "AzureWebJobsStorage": self.azurite.connection_string,
            f"WOO_STORES__{STORE_ID}__URL": self.access.url,
            f"WOO_STORES__{STORE_ID}__CONSUMER_KEY": self.access.consumer_key,
            f"WOO_STORES__{STORE_ID}__CONSUMER_SECRET": self.access.consumer_secret,
            f"WOO_STORES__{STORE_ID}__WEBHOOK_SECRET": self.webhook_secret,
            **self.erp_kind.settings(self.erp_emulator, self.entra, self.client_id, self.client_secret),
            "SANDBOX_CA_BUNDLE": str(ensure_tls_files().ca_bundle),
            "PUBLIC_BASE_URL": base,
            "WEBHOOK_FUNCTION_KEY": self.function_key,
            **self.extra_settings,
        }

    def stop(self) -> None:
        """Leave the store as it was found: the webhooks this run created are deleted (webhooks cannot be
        trashed, facts §1.8), then everything local stops."""
        api = getattr(self, "api", None)
        if api is not None:
            ours = set(self.created_webhooks)
            with contextlib.suppress(HttpError):  # and those the webhook health check made in their place
                ours |= {int(h["id"]) for h in _pages(api, "webhooks", {}) if h.get("delivery_url") == self.webhook_url}
            for webhook_id in sorted(ours):
                # Gone already, or the store is down: nothing more to do from here.
                with contextlib.suppress(HttpError):
                    api.request("DELETE", f"webhooks/{webhook_id}", params={"force": "true"})
            api.close()
        for part in ("host", "erp_emulator", "entra"):
            running = getattr(self, part, None)
            if running is not None:
                running.stop()
        if self._own_azurite and self.azurite is not None:
            self.azurite.stop()


def check_public_url(webhook_url: str) -> None:
    """The tunnel must reach this machine's host: a WooCommerce ping through it must be answered 200."""
    try:
        response = httpx.post(
            webhook_url, content=b"webhook_id=1", headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=CHECK_TIMEOUT,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise StoreProblem(f"the public URL does not reach this machine ({exc}): is the tunnel running?") from None
    if response.status_code != 200:
        raise StoreProblem(
            f"the public URL answered {response.status_code}, not the local host's 200: point the tunnel at "
            "the local host's port"
        )


def store_reaches_host(access: StoreAccess, public_url: str) -> bool:
    """Whether the store can deliver webhooks here: a public URL is given, or the store runs on this machine."""
    return bool(public_url) or (urlsplit(access.url).hostname or "") in LOCAL_HOSTS


# ------------------------------------------------------------------------------------------------ watching


def watch_orders(console: Console, stopped: threading.Event, interval: float = 1.0) -> None:
    """Print each order as it posts or is held, until ``stopped``."""
    from shared.flows.services import services
    from shared.storage.ledger import OrderState

    seen: dict[int, str] = {}
    while not stopped.wait(interval):
        for state in (OrderState.POSTED, OrderState.HELD):
            for entry in services().ledger.in_state(state, STORE_ID):
                if seen.get(entry.order_id) == entry.state:
                    continue
                seen[entry.order_id] = entry.state
                if entry.state == OrderState.POSTED:
                    console.print(
                        f"order {entry.order_number or entry.order_id}: posted as {entry.document_number} "
                        f"(ERP total {entry.erp_total}, Woo total {entry.woo_total})"
                    )
                else:
                    console.print(f"order {entry.order_number or entry.order_id}: held: {entry.hold_reason}")


def erp_title(kind: str) -> str:
    return erp_kind(kind).title
