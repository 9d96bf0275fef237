"""The SKU mapping table (issue 16) on in-memory tables: the merged map the adapters see, its refresh,
the managed changes with their audit trail, CSV import/export, and a held near-miss SKU's suggestions
through to `accept` and the post on the next re-drive."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from azure.core.exceptions import ServiceRequestError

from shared.config import Settings
from shared.erp import rules
from shared.erp.port import ErpDataProblem, ErpDocument, ErpItem, TransientErpError
from shared.events import WooEvent
from shared.flows import orders, sku_map
from shared.flows.readiness import connection_rules
from shared.flows.services import Services, bootstrap
from shared.flows.sku_suggestions import held_sku_suggestions
from shared.flows.status import held_orders
from shared.model import HoldReason, Order
from shared.storage.ledger import OrderState
from shared.storage.sku_map import LiveSkuMaps, SkuMapping, SkuMapTable, merged_map
from tests.fakes import FakeErp, FakeWoo, ListQueue, MemoryTables
from tests.unit.test_order_flows import order_payload

STORE = "main"


class MappingErp(FakeErp):
    """A FakeErp that reads items through ``connection.sku_map`` with rules.item_key, as the adapters do."""

    def __init__(self, sku_map: Mapping[str, str], items: dict[str, str]) -> None:
        super().__init__()
        self.sku_map = dict(sku_map)
        self.items = {
            number: ErpItem(number=number, id=f"item-{number}", display_name=name) for number, name in items.items()
        }

    def create_sales_document(
        self, order: Order, customer: Any, *, parent_skus: Mapping[int, str] | None = None
    ) -> ErpDocument:
        holds = [
            HoldReason.unknown_sku(line.sku or "", line, rules.item_key(line.sku or "", self.sku_map))
            for line in order.lines
            if rules.item_key(line.sku or "", self.sku_map) not in self.items
        ]
        if holds:
            self.calls["create_sales_document"] += 1
            raise ErpDataProblem(holds)
        return super().create_sales_document(order.model_copy(update={"lines": []}), customer)


ITEMS = {"WOO-93": "Woo Single", "BAR-3": "Ship Your Idea Black M", "MUG-BLUE": "Blue mug", "MUG-RED": "Red mug"}


class App:
    def __init__(self, *, seed: dict[str, str] | None = None, refresh: int = 0) -> None:
        self.tables = MemoryTables()
        self.woo = FakeWoo()
        self.woo.products[22] = {"id": 22, "sku": "BAR-PARENT"}
        self.queue = ListQueue()
        settings = Settings.model_validate(
            {
                "woo_stores": {STORE: {"url": "https://main.example.com/", "consumer_key": "ck",
                                       "consumer_secret": "cs", "webhook_secret": "whsec"}},
                "bc_sku_map": seed or {},
                "sku_map_refresh_seconds": refresh,
            }
        )  # fmt: skip
        self.built: list[MappingErp] = []
        self.services: Services = bootstrap(
            settings, tables=self.tables, woo=lambda store: self.woo,
            woo_events=self.queue,  # type: ignore[arg-type]
        )  # fmt: skip
        self.services.erp_builder = self.build

    def build(self, connection: str, merged: Mapping[str, str]) -> MappingErp:
        erp = MappingErp(merged, ITEMS)
        if self.built:  # the documents and customers stay with the ERP, whatever the adapter object
            erp.documents, erp.customers = self.built[-1].documents, self.built[-1].customers
        self.built.append(erp)
        return erp

    def deliver(self, payload: dict[str, Any]) -> None:
        self.woo.orders[payload["id"]] = copy.deepcopy(payload)
        event = WooEvent(store=STORE, topic="order.updated", resource_id=payload["id"],
                         modified=payload["date_modified_gmt"], status=payload["status"], body=payload)  # fmt: skip
        orders.handle_woo_event(event.model_dump(mode="json"), self.services, message_id="m1")

    def redrive(self) -> None:
        orders.redrive_held_orders(self.services)
        for message in self.queue.take():
            orders.handle_woo_event(message, self.services, message_id="m2")


def near_miss_order(**changes: Any) -> dict[str, Any]:
    payload = order_payload(**changes)
    payload["line_items"][0]["sku"] = "woo_0093"  # near WOO-93, not equal
    payload["line_items"][0]["name"] = "Woo Single"
    payload["line_items"][1]["sku"] = "BAR-3"
    return payload


# ------------------------------------------------------------------------------ the merged map


def test_a_table_row_wins_over_the_settings_seed_whatever_the_case() -> None:
    seed = {"mug-blue": "OLD-MUG", "pen": "PEN-1"}
    merged = merged_map(seed, [SkuMapping("MUG-BLUE", "MUG-BLUE"), SkuMapping("cup", "CUP-1")])
    assert merged == {"pen": "PEN-1", "MUG-BLUE": "MUG-BLUE", "cup": "CUP-1"}
    assert rules.item_key("mug-blue", merged) == "MUG-BLUE"


def test_the_map_is_reread_only_when_its_version_changed() -> None:
    tables = MemoryTables()
    table = SkuMapTable(tables)  # type: ignore[arg-type]
    now = [0.0]
    live = LiveSkuMaps(table, lambda _: {"a": "A1"}, refresh_seconds=30, clock=lambda: now[0])
    first = live.current("bc")
    assert first == {"a": "A1"}
    table.put("bc", SkuMapping("b", "B1", updated_by="ops"))
    assert live.current("bc") is first  # within the refresh period: not even the version is read
    now[0] = 31
    second = live.current("bc")
    assert second == {"a": "A1", "b": "B1"} and second is not first
    now[0] = 62
    assert live.current("bc") is second  # version unchanged: the same map, the partition not re-read


def test_a_table_that_cannot_be_read_keeps_the_last_map_and_fails_before_any(monkeypatch: pytest.MonkeyPatch) -> None:
    table = SkuMapTable(MemoryTables())  # type: ignore[arg-type]
    live = LiveSkuMaps(table, lambda _: {"a": "A1"}, refresh_seconds=0)

    def down(connection: str) -> str:
        raise ServiceRequestError("storage unreachable")

    monkeypatch.setattr(table, "version", down)
    with pytest.raises(ServiceRequestError):
        live.current("bc")
    monkeypatch.undo()
    known = live.current("bc")
    monkeypatch.setattr(table, "version", down)
    assert live.current("bc") is known


def test_the_adapter_is_rebuilt_with_the_merged_map_when_the_table_changes() -> None:
    app = App(seed={"pen": "PEN-1"})
    first = app.services.erp_for("bc")
    assert app.services.erp_for("bc") is first and app.built[-1].sku_map == {"pen": "PEN-1"}
    sku_map.set_mapping(app.services, "bc", "mug", "mug-blue", by="ops")
    second = app.services.erp_for("bc")
    assert second is not first and app.built[-1].sku_map == {"pen": "PEN-1", "mug": "MUG-BLUE"}
    assert app.services.sku_map("bc") == {"pen": "PEN-1", "mug": "MUG-BLUE"}


def test_adapters_given_to_bootstrap_are_kept_as_they_are() -> None:
    settings = Settings.model_validate({})
    given = FakeErp()
    services = bootstrap(settings, erp={"bc": given}, tables=MemoryTables())  # type: ignore[arg-type]
    assert services.erp_for("bc") is given


# ------------------------------------------------------------------------------ managing it


def test_set_remove_and_the_audit_trail_say_who_changed_what() -> None:
    app = App(seed={"pen": "PEN-1"})
    sku_map.set_mapping(app.services, "bc", "mug", "mug-blue", by="alice")
    sku_map.set_mapping(app.services, "bc", "MUG", "MUG-RED", by="bob")  # the same Woo SKU, whatever its case
    listed = sku_map.entries(app.services, "bc")
    assert [(e.sku, e.number, e.source, e.updated_by) for e in listed] == [
        ("MUG", "MUG-RED", "set", "bob"),
        ("pen", "PEN-1", "setting", ""),
    ]
    assert sku_map.remove_mapping(app.services, "bc", "mug", by="carol")
    assert not sku_map.remove_mapping(app.services, "bc", "pen", by="carol")  # the seed is the setting's
    trail = sku_map.history(app.services, "bc")
    assert [(r["outcome"], r["sku"], r.get("number", ""), r["previous"], r["by"]) for r in trail] == [
        ("set", "mug", "MUG-BLUE", "", "alice"),
        ("set", "MUG", "MUG-RED", "MUG-BLUE", "bob"),
        ("remove", "MUG", "", "MUG-RED", "carol"),
    ]
    assert all(r["at"] for r in trail)


@pytest.mark.parametrize(
    ("sku", "number", "why"),
    [("", "A", "SKU is empty"), ("a", " ", "number for 'a' is empty"), ("a", "X" * 21, "longer than 20")],
)
def test_a_mapping_that_can_never_work_is_refused(sku: str, number: str, why: str) -> None:
    app = App()
    with pytest.raises(sku_map.SkuMapError, match=why):
        sku_map.set_mapping(app.services, "bc", sku, number, by="ops")
    assert sku_map.entries(app.services, "bc") == []


def test_an_unknown_connection_is_named() -> None:
    app = App()
    with pytest.raises(Exception, match="Unknown ERP connection 'eu'"):
        sku_map.set_mapping(app.services, "eu", "a", "A", by="ops")


def test_import_checks_every_row_before_writing_any_and_export_reads_back() -> None:
    app = App(seed={"pen": "PEN-1"})
    bad = "sku,number\nmug,MUG-BLUE\n,NOPE\ncup\nmug,MUG-RED\n"
    with pytest.raises(sku_map.SkuMapError) as refused:
        sku_map.import_csv(app.services, "bc", bad, by="ops")
    assert "line 3" in str(refused.value) and "line 4" in str(refused.value) and "line 5" in str(refused.value)
    assert sku_map.entries(app.services, "bc")[0].source == "setting"  # nothing written
    good = "\ufeffwoo_sku,item\nmug,mug-blue\n# a comment\n\ncup/large,CUP-L\n"
    assert sku_map.import_csv(app.services, "bc", good, by="ops") == 2
    assert sku_map.import_csv(app.services, "bc", good, by="ops") == 0  # unchanged rows are not rewritten
    exported = sku_map.export_csv(app.services, "bc")
    assert exported == "sku,number\ncup/large,CUP-L\nmug,MUG-BLUE\npen,PEN-1\n"
    again = App()
    assert sku_map.import_csv(again.services, "bc", exported, by="ops") == 3
    assert again.services.sku_map("bc") == {"cup/large": "CUP-L", "mug": "MUG-BLUE", "pen": "PEN-1"}


# ------------------------------------------------------------------------------ suggestions and accept


def test_a_held_near_miss_sku_carries_suggestions_and_posts_after_accept() -> None:
    app = App()
    app.deliver(near_miss_order())
    entry = app.services.ledger.get(STORE, 727)
    assert entry.state == OrderState.HELD
    assert "Unknown SKU 'woo_0093'" in entry.hold_reason
    assert 'Closest ERP items: WOO-93 "Woo Single"' in entry.hold_reason
    assert entry.hold_reason.endswith("(to map the first: connector sku-map accept main/727)")
    assert app.woo.notes[727][-1].count("WOO-93") == 1  # the hold note says it
    held = held_orders(app.services)
    assert held[0].to_dict()["suggestions"]["woo_0093"][0][0] == "WOO-93"
    [report] = held_sku_suggestions(app.services)
    assert report.subject == "main/727" and report.suggestions["woo_0093"][0].number == "WOO-93"

    chosen = sku_map.acceptance(app.services, STORE, 727)
    assert {sku: s.number for sku, s in chosen.choices.items()} == {"woo_0093": "WOO-93"}
    sku_map.accept(app.services, chosen, by="ops")
    app.redrive()
    entry = app.services.ledger.get(STORE, 727)
    assert entry.state == OrderState.POSTED and entry.suggestions == "" and entry.hold_reason == ""
    assert sku_map.history(app.services, "bc")[-1]["outcome"] == "accept"


def test_the_catalogue_is_read_once_per_period_for_suggestions() -> None:
    app = App()
    app.deliver(near_miss_order())
    app.deliver(near_miss_order(id=728, number="728"))
    assert sum(erp.calls["catalog_items"] for erp in app.built) == 1


def test_an_erp_that_cannot_list_its_items_still_holds_the_order_without_suggestions() -> None:
    app = App()
    erp = app.services.erp_for("bc")
    assert isinstance(erp, MappingErp)
    original = erp.catalog_items

    def down(*args: Any, **kwargs: Any) -> list[ErpItem]:
        raise TransientErpError("503 from the ERP")

    erp.catalog_items = down  # type: ignore[method-assign]
    app.deliver(near_miss_order())
    entry = app.services.ledger.get(STORE, 727)
    assert entry.state == OrderState.HELD and "Closest" not in entry.hold_reason and entry.suggestions == ""
    with pytest.raises(sku_map.SkuMapError, match="no SKU suggestions"):
        sku_map.acceptance(app.services, STORE, 727)
    erp.catalog_items = original  # type: ignore[method-assign]


def test_accept_refuses_an_order_that_is_not_held() -> None:
    app = App()
    with pytest.raises(sku_map.SkuMapError, match="not in the ledger"):
        sku_map.acceptance(app.services, STORE, 999)
    payload = near_miss_order()
    payload["line_items"][0]["sku"] = "WOO-93"
    app.deliver(payload)
    with pytest.raises(sku_map.SkuMapError, match="posted, not held"):
        sku_map.acceptance(app.services, STORE, 727)


def test_the_readiness_check_sees_the_table_mappings_and_the_setting_without_storage() -> None:
    app = App(seed={"pen": "PEN-1"})
    sku_map.set_mapping(app.services, "bc", "mug", "MUG-BLUE", by="ops")
    assert connection_rules(app.services, STORE).sku_map == {"pen": "PEN-1", "mug": "MUG-BLUE"}
    no_storage = Services(app.services.settings)  # no AzureWebJobsStorage: the check still runs
    assert connection_rules(no_storage, STORE).sku_map == {"pen": "PEN-1"}
