"""The whole sandbox: Azurite, Entra ID, Business Central and WooCommerce emulators, the local host.

Used by `python -m sandbox` (the README's run command), the end-to-end tests and the benchmarks.
The host runs in this process, so the settings it reads are put into os.environ.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import catalog
from sandbox.azurite import Azurite
from sandbox.bc import BcEmulator
from sandbox.entra import EntraEmulator
from sandbox.host import LocalHost
from sandbox.server import bind_socket
from sandbox.tls import ensure_tls_files
from sandbox.woo import DeliveryOptions, WooEmulator
from shared.flows.webhook_health import REQUIRED_TOPICS

REPO = Path(__file__).resolve().parent.parent
STORE_ID = "main"


@dataclass
class StackPorts:
    """0 picks a free port; the run command asks for fixed ones so URLs stay the same."""

    host: int = 0
    woo: int = 0
    bc: int = 0
    entra: int = 0


@dataclass
class Stack:
    ports: StackPorts = field(default_factory=StackPorts)
    azurite: Azurite | None = None  # given: shared (tests); None: the stack starts its own
    webhook_secret: str = "sandbox-webhook-secret"
    client_id: str = "woo-connector"
    client_secret: str = "sandbox-client-secret"
    delivery: DeliveryOptions | None = None
    extra_settings: dict[str, str] = field(default_factory=dict)
    run_host: bool = True  # False: the caller runs the host itself (the fault-injection run kills it)
    host_env: dict[str, str] = field(default_factory=dict, init=False)
    _own_azurite: bool = field(default=False, init=False)

    def start(self) -> Stack:
        tls = ensure_tls_files()
        if self.azurite is None:
            self.azurite = Azurite().start()
            self._own_azurite = True
        self.entra = EntraEmulator(clients={self.client_id: self.client_secret})
        self.entra.start(self.ports.entra)
        self.bc = BcEmulator(entra=self.entra)
        self.bc.start(self.ports.bc)
        self.woo = WooEmulator(delivery=self.delivery or DeliveryOptions(verify=str(tls.ca_bundle)))
        self.woo.start(self.ports.woo)
        catalog.seed(self.woo, self.bc)
        # The app must know its own URL and function key before it starts (settings are checked at start-up).
        if not self.ports.host:
            probe = bind_socket()
            self.ports.host = probe.getsockname()[1]
            probe.close()
        self.function_key = os.environ.get("SANDBOX_FUNCTION_KEY") or secrets.token_urlsafe(24)
        os.environ["SANDBOX_FUNCTION_KEY"] = self.function_key
        os.environ.setdefault("SANDBOX_MASTER_KEY", secrets.token_urlsafe(24))
        self.settings = self.app_settings()
        os.environ.update(self.settings)
        from shared.flows.services import reset_services, services

        reset_services()
        services().ensure_storage()
        if self.run_host:
            self.host = LocalHost(REPO, host_id="sandbox").start(self.ports.host)
        self.webhook_url = f"http://127.0.0.1:{self.ports.host}/api/webhooks/woo/{STORE_ID}?code={self.function_key}"
        for topic in REQUIRED_TOPICS:
            self.woo.create_webhook(topic, self.webhook_url, self.webhook_secret, name=f"Connector {topic}")
        if self.run_host:
            self.subscribe_to_bc()
        return self

    def subscribe_to_bc(self) -> None:
        """The BC item subscription pointed at the host (the renew_erp_subscriptions timer keeps it)."""
        from shared.flows.services import services
        from shared.flows.subscriptions import ensure_erp_subscriptions

        try:
            ensure_erp_subscriptions(services())
        except Exception:  # hints only: the stack runs without them (the stock timer polls)
            logging.getLogger("sandbox").exception("BC subscription not created")

    def app_settings(self) -> dict[str, str]:
        """The app settings the connector runs with against this sandbox (as local.settings.json Values)."""
        assert self.azurite is not None
        return {
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "AzureWebJobsStorage": self.azurite.connection_string,
            f"WOO_STORES__{STORE_ID}__URL": self.woo.url,
            f"WOO_STORES__{STORE_ID}__CONSUMER_KEY": self.woo.consumer_key,
            f"WOO_STORES__{STORE_ID}__CONSUMER_SECRET": self.woo.consumer_secret,
            f"WOO_STORES__{STORE_ID}__WEBHOOK_SECRET": self.webhook_secret,
            "BC_TENANT_ID": self.bc.tenant,
            "BC_ENVIRONMENT": self.bc.environment,
            "BC_COMPANY_ID": self.bc.company_id,
            "BC_CLIENT_ID": self.client_id,
            "BC_CLIENT_SECRET": self.client_secret,
            "BC_API_URL": self.bc.base_url,
            "BC_AUTHORITY": self.entra.authority,
            "BC_SHIPPING_NUMBER": "6410",
            "BC_FEE_NUMBER": "6910",
            "BC_REFUND_ACCOUNT": "6110",
            "SANDBOX_CA_BUNDLE": str(ensure_tls_files().ca_bundle),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.host}",
            "WEBHOOK_FUNCTION_KEY": self.function_key,
            "BC_WEBHOOK_CLIENT_STATE": "sandbox-bc-client-state",
            "BC_TRACKING_API": "wooConnector/shipping/v1.0",  # the BC emulator's tracking API (custom_api_url)
            **self.extra_settings,
        }

    def stop(self) -> None:
        for part in ("host", "woo", "bc", "entra"):  # host is absent when run_host is False
            running = getattr(self, part, None)
            if running is not None:
                running.stop()
        if self._own_azurite and self.azurite is not None:
            self.azurite.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
