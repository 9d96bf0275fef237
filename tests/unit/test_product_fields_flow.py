"""The two-way product sync flow on in-memory adapters (bootstrap with fakes): stores sharing a connection,
variations, failed store writes, and connections without two-way fields. The GP emulator e2e
(tests/e2e/test_gp_product_sync.py) proves the same over SBA, Azurite and the WooCommerce emulator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from shared.config import Settings
from shared.erp.port import ErpItem
from shared.flows import product_fields
from shared.flows.services import Services, bootstrap
from shared.http import TransientHttpError
from tests.fakes import MemoryTables

GP = {
    "kind": "gp",
    "transport": "sba",
    "url": "https://gp.example.com",
    "company_name": "Fabrikam",
    "username": "GPDOM\\u",
    "password": "p",
    "name_direction": "both",
    "price_direction": "both",
}


class CatalogueErp:
    """An ERP's items with the item-field writes of GP over SBA."""

    item_fields_writable = True

    def __init__(self, **items: tuple[str, str]) -> None:
        self.items = {
            number: ErpItem(number=number, id=number, display_name=name, unit_price=Decimal(price))
            for number, (name, price) in items.items()
        }
        self.writes: list[tuple[str, str | None, Decimal | None]] = []

    def catalog_items(
        self,
        numbers: Sequence[str] | None = None,
        *,
        ids: Sequence[str] | None = None,
        changed_since: datetime | None = None,
    ) -> list[ErpItem]:
        return list(self.items.values())

    def write_item_fields(self, number: str, *, name: str | None = None, unit_price: Decimal | None = None) -> None:
        self.writes.append((number, name, unit_price))
        item = self.items[number]
        self.items[number] = ErpItem(
            number=number,
            id=number,
            display_name=name if name is not None else item.display_name,
            unit_price=unit_price if unit_price is not None else item.unit_price,
        )

    def rename(self, number: str, name: str) -> None:
        self.write_item_fields(number, name=name)
        self.writes.pop()


class CatalogueWoo:
    """A store's products and variations, read whole and written through the batch endpoints."""

    def __init__(self) -> None:
        self.products: dict[int, dict[str, Any]] = {}
        self.batches: list[tuple[str, list[dict[str, Any]]]] = []
        self.refuse: set[int] = set()  # product ids whose batch item answers an error
        self.down = False  # every read answers 503

    def add(self, pid: int, sku: str, name: str, price: str, **fields: Any) -> None:
        self.products[pid] = {"id": pid, "sku": sku, "name": name, "regular_price": price, "type": "simple", **fields}

    def list_products(self, **params: Any) -> Iterator[dict[str, Any]]:
        if self.down:
            raise TransientHttpError("woo: GET products answered 503", status=503)
        return iter([dict(p) for p in self.products.values() if p["type"] != "variation"])

    def list_variations(self, product_id: int) -> list[dict[str, Any]]:
        return [dict(p) for p in self.products.values() if p.get("parent_id") == product_id]

    def batch(self, path: str, *, update: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append((path, update))
        answered = []
        for change in update:
            if change["id"] in self.refuse:
                error = {"code": "woocommerce_rest_invalid", "message": "no", "data": {"status": 400}}
                answered.append({"id": change["id"], "error": error})
                continue
            self.products[change["id"]].update({k: v for k, v in change.items() if k != "id"})
            answered.append(dict(self.products[change["id"]]))
        return {"update": answered}


def services(erp: Any, woo: dict[str, CatalogueWoo], connection: dict[str, Any] | None = None) -> Services:
    store = {"consumer_key": "ck", "consumer_secret": "cs", "webhook_secret": "whsec"}
    settings = Settings.model_validate(
        {
            "woo_stores": {
                sid: {**store, "url": f"https://{sid}.example.com/", "erp": "gp", "document_prefix": sid.upper()}
                for sid in woo
            },
            "erps": {"gp": connection or GP},
        }
    )
    return bootstrap(settings, erp=erp, tables=MemoryTables(), woo=lambda sid: woo[sid])  # type: ignore[arg-type,return-value]


def test_stores_sharing_a_connection_each_keep_their_own_snapshot() -> None:
    erp = CatalogueErp(CHAIR=("Chair", "40.00"))
    east, west = CatalogueWoo(), CatalogueWoo()
    east.add(1, "CHAIR", "Chair", "40.00")
    west.add(7, "chair", "Chair", "40.00")  # SKUs match whatever their case
    app = services(erp, {"east": east, "west": west})
    assert all(not r.to_erp and not r.to_woo for r in product_fields.sync_product_fields(app))

    east.products[1]["name"] = "Oak Chair"
    east_report, west_report = product_fields.sync_product_fields(app)
    assert east_report.to_erp == ["CHAIR name"] and erp.writes == [("CHAIR", "Oak Chair", None)]
    # West synced after east in the same run: GP changed since west's snapshot, so west takes it.
    assert west_report.to_woo == ["CHAIR name"] and west.products[7]["name"] == "Oak Chair"
    assert all(not r.to_erp and not r.to_woo for r in product_fields.sync_product_fields(app))


def test_a_variation_syncs_its_price_through_its_parent_but_never_its_name() -> None:
    erp = CatalogueErp(**{"TEE-M": ("Tee, medium", "20.00")})
    woo = CatalogueWoo()
    woo.add(10, "TEE", "Tee", "", type="variable")
    woo.add(11, "TEE-M", "Tee - M", "20.00", type="variation", parent_id=10)
    app = services(erp, {"main": woo})
    product_fields.sync_product_fields(app)
    erp.items["TEE-M"] = ErpItem(number="TEE-M", id="TEE-M", display_name="Tee, M", unit_price=Decimal("22.00"))
    (report,) = product_fields.sync_product_fields(app)
    assert report.to_woo == ["TEE-M price"]
    assert woo.batches[-1] == ("products/10/variations", [{"id": 11, "regular_price": "22.00"}])
    assert woo.products[11]["name"] == "Tee - M"


def test_a_refused_store_write_leaves_the_snapshot_and_the_next_run_writes_it() -> None:
    erp = CatalogueErp(LAMP=("Lamp", "40.00"))
    woo = CatalogueWoo()
    woo.add(3, "LAMP", "Lamp", "40.00")
    app = services(erp, {"main": woo})
    product_fields.sync_product_fields(app)
    erp.rename("LAMP", "Brass Lamp")
    woo.refuse.add(3)
    (failed,) = product_fields.sync_product_fields(app)
    assert not failed.to_woo and failed.failed == ["LAMP name: the store refused the write"]
    assert woo.products[3]["name"] == "Lamp"
    woo.refuse.clear()
    (retried,) = product_fields.sync_product_fields(app)
    assert retried.to_woo == ["LAMP name"] and woo.products[3]["name"] == "Brass Lamp"


def test_a_conflict_whose_product_is_gone_is_cleared() -> None:
    erp = CatalogueErp(LAMP=("Lamp", "40.00"))
    woo = CatalogueWoo()
    woo.add(3, "LAMP", "Lamp", "40.00")
    app = services(erp, {"main": woo})
    product_fields.sync_product_fields(app)
    erp.rename("LAMP", "Brass Lamp")
    woo.products[3]["name"] = "Lamp, brass"
    (report,) = product_fields.sync_product_fields(app)
    assert [(c.item, c.field) for c in report.conflicts] == [("LAMP", "name")]
    assert len(app.product_fields.conflicts("gp")) == 1 and erp.writes == []
    woo.products[3]["sku"] = "LAMP-OLD"  # the store no longer sells the item under its SKU
    product_fields.sync_product_fields(app)
    assert app.product_fields.conflicts() == []
    outcomes = [row.data["outcome"] for row in app.audit.trail("product:gp/LAMP")]
    assert outcomes == ["conflict", "conflict_resolved"]


def test_one_stores_outage_does_not_stop_the_others_and_all_down_is_raised() -> None:
    erp = CatalogueErp(CHAIR=("Chair", "40.00"))
    east, west = CatalogueWoo(), CatalogueWoo()
    east.add(1, "CHAIR", "Chair", "40.00")
    west.add(7, "CHAIR", "Chair", "40.00")
    app = services(erp, {"east": east, "west": west})
    product_fields.sync_product_fields(app)
    east.down = True
    west.products[7]["regular_price"] = "42.00"
    (west_report,) = product_fields.sync_product_fields(app)
    assert west_report.store == "west" and west_report.to_erp == ["CHAIR price"]
    west.down = True
    with pytest.raises(TransientHttpError):
        product_fields.sync_product_fields(app)


def test_nothing_runs_without_a_two_way_field() -> None:
    erp = CatalogueErp(LAMP=("Brass Lamp", "45.00"))
    woo = CatalogueWoo()
    woo.add(3, "LAMP", "Lamp", "40.00")
    app = services(erp, {"main": woo}, {**GP, "name_direction": "gp", "price_direction": "gp"})
    assert product_fields.sync_product_fields(app) == []
    assert woo.batches == [] and woo.products[3]["name"] == "Lamp"
