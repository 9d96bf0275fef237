"""`FoEmulator`: the Dynamics 365 Finance & Operations `/data/` stand-in with its Python control API."""

from __future__ import annotations

import ssl

from sandbox.entra import EntraEmulator
from sandbox.faults import Scope
from sandbox.fo import guesses
from sandbox.fo.app import FoApi
from sandbox.fo.control import Control
from sandbox.fo.errors import fault_body
from sandbox.fo.events import EventConfig, EventHub
from sandbox.fo.service import Service
from sandbox.fo.store import FoStore, LegalEntity
from sandbox.fo.warehouse import Warehouse
from sandbox.lifecycle import Emulator
from sandbox.tls import ensure_tls_files

DEFAULT_CUSTOMER_GROUP = "30"  # a usmf-style group every company has (value UNCONFIRMED)


class FoEmulator(Emulator):
    name = "fo"

    def __init__(
        self,
        entra: EntraEmulator | None = None,
        default_company: str = "usmf",
        currency: str = "USD",
        max_page_size: int = guesses.DEFAULT_MAX_PAGE_SIZE,
        events: EventConfig | None = None,
    ) -> None:
        self.entra = entra
        self.default_company = default_company.lower()
        self.customer_group = DEFAULT_CUSTOMER_GROUP
        self.store = FoStore()
        self.service = Service(self.store, self.default_company, max_page_size)
        self.events = EventHub(ssl.create_default_context(cafile=str(ensure_tls_files().ca_bundle)), events)
        self.warehouse = Warehouse(self.store, self.events)
        self.api = FoApi(self)
        self.control = Control(self)
        self.serve_with_faults(self.api, user_of=self._user_of, error_body=fault_body)
        self.add_company(self.default_company, currency)

    def on_start(self) -> None:
        self.events.start()

    def on_stop(self) -> None:
        self.events.stop()

    @property
    def environment_url(self) -> str:
        """The environment URL: the token audience, `<it>/.default` the scope (facts §1.7)."""
        return self.base_url

    @property
    def scope(self) -> str:
        return f"{self.environment_url}/.default"

    @property
    def data_url(self) -> str:
        return f"{self.base_url}/data"

    def add_company(self, data_area_id: str = "", currency: str = "USD") -> LegalEntity:
        """A legal entity with the default customer group (every create of a customer needs one). Without an id,
        the next free one (`c001`, `c002`, …: ids are at most 4 characters)."""
        with self.store.lock:
            if not data_area_id:
                n = len(self.store.companies)
                while self.store.company(f"c{n:03d}") is not None:
                    n += 1
                data_area_id = f"c{n:03d}"
            if len(data_area_id) > 4 or self.store.company(data_area_id) is not None:
                raise ValueError(f"the legal entity id {data_area_id!r} is taken or longer than 4 characters")
            company = self.store.add_company(data_area_id, currency)
            group = self.store.blank("CustomerGroup")
            group.update(CustomerGroupId=self.customer_group, Description="Retail customers")
            self.store.put(company, "CustomerGroups", group)
            return company

    def reset_counters(self) -> None:
        self.api.counts.clear()
        self.faults.reset_counters()

    def _user_of(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"authorization" and value[:7].lower() == b"bearer " and self.entra:
                info = self.entra.lookup(value[7:].decode().strip())
                return info.client_id if info else "anonymous"
        return "anonymous"
