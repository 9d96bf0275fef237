"""The whole sandbox: Azurite, Entra ID, an ERP emulator and the WooCommerce emulator, the local host.

`Stack(erp="bc")` picks the ERP emulator and the connector settings for it (sandbox/erp_kinds.py).
Used by `python -m sandbox` (the README's run command), the end-to-end tests and the benchmarks.
The host runs in this process, so the settings it reads are put into os.environ.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.azurite import Azurite
from sandbox.bc import BcEmulator
from sandbox.entra import EntraEmulator
from sandbox.erp_kinds import ErpKind, erp_kind
from sandbox.host import LocalHost
from sandbox.lifecycle import Emulator
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
    erp: str = "bc"  # the ERP kind whose emulator runs (sandbox/erp_kinds.py); the default connection's kind
    host_env: dict[str, str] = field(default_factory=dict, init=False)
    _own_azurite: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.erp_kind: ErpKind = erp_kind(self.erp)  # an unknown kind fails here, listing the kinds

    @property
    def bc(self) -> BcEmulator:
        """The Business Central emulator, when this stack runs BC."""
        emulator = getattr(self, "erp_emulator", None)
        if not isinstance(emulator, BcEmulator):
            raise AttributeError(f"this stack runs the {self.erp} emulator, not Business Central's")
        return emulator

    def start(self) -> Stack:
        tls = ensure_tls_files()
        if self.azurite is None:
            self.azurite = Azurite().start()
            self._own_azurite = True
        self.entra = EntraEmulator(clients={self.client_id: self.client_secret})
        self.entra.start(self.ports.entra)
        self.erp_emulator: Emulator = self.erp_kind.start(self.entra, getattr(self.ports, self.erp, 0))
        self.woo = WooEmulator(delivery=self.delivery or DeliveryOptions(verify=str(tls.ca_bundle)))
        self.woo.start(self.ports.woo)
        self.erp_kind.seed(self.woo, self.erp_emulator)
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
            self.subscribe_to_erp_events()
        return self

    def subscribe_to_erp_events(self) -> None:
        """The ERP's event subscriptions (BC: items) pointed at the host (renew_erp_subscriptions keeps them)."""
        from shared.flows.services import services
        from shared.flows.subscriptions import ensure_erp_subscriptions

        try:
            ensure_erp_subscriptions(services())
        except Exception:  # hints only: the stack runs without them (the stock timer polls)
            logging.getLogger("sandbox").exception("ERP event subscription not created")

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
            **self.erp_kind.settings(self.erp_emulator, self.entra, self.client_id, self.client_secret),
            "SANDBOX_CA_BUNDLE": str(ensure_tls_files().ca_bundle),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports.host}",
            "WEBHOOK_FUNCTION_KEY": self.function_key,
            **self.extra_settings,
        }

    def stop(self) -> None:
        for part in ("host", "woo", "erp_emulator", "entra"):  # host is absent when run_host is False
            running = getattr(self, part, None)
            if running is not None:
                running.stop()
        if self._own_azurite and self.azurite is not None:
            self.azurite.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
