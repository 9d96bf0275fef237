"""Managing a connection's SKU map (`connector sku-map`): list, set, remove, import and export CSV, and
accept a held order's suggestions. Every change is written to the audit trail (partition
``sku-map/<connection>``): who, when, the SKU, the item number before and after.

The map the orders use is the connection's ``sku_map`` setting (the seed) with this table over it
(``Services.sku_map``); the adapters read it as ``connection.sku_map`` (``services.build_erp``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from shared.flows import sku_suggestions
from shared.flows.services import Services
from shared.mapping.suggestions import Suggestion
from shared.storage.ledger import OrderState
from shared.storage.sku_map import SkuMapping

ITEM_NUMBER_MAX = {"bc": 20, "fo": 20}
"""An item number's length by ERP kind: BC's Code[20], F&O's ItemId (20, as its adapter); another gets 31."""
SKU_MAX = 100


class SkuMapError(ValueError):
    """A mapping that can never be right (empty, too long, a CSV that does not parse): nothing written."""


@dataclass(frozen=True)
class MapEntry:
    sku: str
    number: str
    source: str  # "setting" (the seed), or the table's "set" / "import" / "accept"
    updated_by: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "sku": self.sku,
            "number": self.number,
            "source": self.source,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
        }


def audit_subject(connection: str) -> str:
    return f"sku-map/{connection}"


def history(services: Services, connection: str) -> list[dict[str, object]]:
    """The map's audit trail, oldest first: who changed which SKU, when, from what to what."""
    return [row.data for row in services.audit.trail(audit_subject(known_connection(services, connection)))]


def known_connection(services: Services, connection: str) -> str:
    connection = connection.lower()
    services.settings.connection(connection)  # ConfigError naming the configured ones
    return connection


def item_number_max(services: Services, connection: str) -> int:
    return ITEM_NUMBER_MAX.get(services.settings.connection(connection).kind, 31)


def entries(services: Services, connection: str) -> list[MapEntry]:
    """The connection's whole map: table rows, and the setting's entries no row overrides."""
    connection = known_connection(services, connection)
    rows = services.sku_map_table.mappings(connection)
    overridden = {row.sku.strip().upper() for row in rows}
    seed = services.settings.connection(connection).sku_map
    found = [MapEntry(sku, number.strip().upper(), "setting") for sku, number in seed.items()]
    found = [entry for entry in found if entry.sku.strip().upper() not in overridden]
    found += [MapEntry(r.sku, r.number, r.source or "set", r.updated_by, r.updated_at) for r in rows]
    return sorted(found, key=lambda e: e.sku.upper())


def checked(sku: str, number: str, max_length: int = 20) -> tuple[str, str]:
    sku, number = sku.strip(), number.strip().upper()
    if not sku:
        raise SkuMapError("the Woo SKU is empty")
    if len(sku) > SKU_MAX:
        raise SkuMapError(f"Woo SKU {sku[:30]!r}… is longer than {SKU_MAX} characters")
    if not number:
        raise SkuMapError(f"the ERP item number for {sku!r} is empty")
    if len(number) > max_length:
        raise SkuMapError(f"ERP item number {number!r} is longer than {max_length} characters")
    return sku, number


def set_mapping(
    services: Services, connection: str, sku: str, number: str, *, by: str, source: str = "set"
) -> SkuMapping:
    connection = known_connection(services, connection)
    sku, number = checked(sku, number, item_number_max(services, connection))
    previous = services.sku_map_table.get(connection, sku)
    saved = services.sku_map_table.put(connection, SkuMapping(sku, number, updated_by=by, source=source))
    services.audit.record(
        audit_subject(connection),
        "sku_map",
        source,
        sku=sku,
        number=number,
        previous=previous.number if previous else "",
        by=by,
    )
    return saved


def remove_mapping(services: Services, connection: str, sku: str, *, by: str) -> bool:
    """Remove the table's row (a seed entry from the setting stays: change the setting for that)."""
    connection = known_connection(services, connection)
    previous = services.sku_map_table.get(connection, sku)
    if previous is None or not services.sku_map_table.remove(connection, sku):
        return False
    services.audit.record(
        audit_subject(connection), "sku_map", "remove", sku=previous.sku, previous=previous.number, by=by
    )
    return True


HEADERS = ({"sku", "woo_sku"}, {"number", "item", "item_number", "erp_item"})


def parse_csv(text: str, max_length: int = 20) -> list[tuple[str, str]]:
    """``sku,number`` rows (a header row is optional); every problem found, with its line, or nothing."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    parsed: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line == 1 and len(cells) >= 2 and cells[0].lower() in HEADERS[0] and cells[1].lower() in HEADERS[1]:
            continue
        if len(cells) < 2:
            problems.append(f"line {line}: expected two columns, Woo SKU and ERP item number")
            continue
        try:
            sku, number = checked(cells[0], cells[1], max_length)
        except SkuMapError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        first = seen.setdefault(sku.upper(), line)
        if first != line:
            problems.append(f"line {line}: SKU {sku!r} already on line {first}")
            continue
        parsed.append((sku, number))
    if problems:
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise SkuMapError("; ".join(problems[:10]) + more)
    return parsed


def import_csv(services: Services, connection: str, text: str, *, by: str) -> int:
    """Set every row of the CSV (all checked before any is written); the rows changed. The rows go in
    table transactions of 100; each change gets its audit record."""
    connection = known_connection(services, connection)
    rows = parse_csv(text, item_number_max(services, connection))
    current = {m.sku.strip().upper(): m.number for m in services.sku_map_table.mappings(connection)}
    changes = [(sku, number) for sku, number in rows if current.get(sku.upper()) != number]
    services.sku_map_table.put_many(
        connection, [SkuMapping(sku, number, updated_by=by, source="import") for sku, number in changes]
    )
    for sku, number in changes:
        previous = current.get(sku.upper(), "")
        services.audit.record(
            audit_subject(connection), "sku_map", "import", sku=sku, number=number, previous=previous, by=by
        )
    return len(changes)


def export_csv(services: Services, connection: str) -> str:
    """The whole map (setting and table) as ``sku,number`` CSV, which `import` reads back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["sku", "number"])
    for entry in entries(services, connection):
        writer.writerow([entry.sku, entry.number])
    return out.getvalue()


@dataclass(frozen=True)
class Acceptance:
    """What `accept` would map for one held order: each held SKU and its top suggestion."""

    store: str
    order_id: int
    connection: str
    choices: dict[str, Suggestion]


def acceptance(services: Services, store: str, order_id: int) -> Acceptance:
    entry = services.ledger.get(store, order_id)
    if entry is None:
        raise SkuMapError(f"order {store}/{order_id} is not in the ledger")
    if entry.state != OrderState.HELD:
        raise SkuMapError(f"order {store}/{order_id} is {entry.state}, not held")
    found = sku_suggestions.held_entry_suggestions(entry)
    if not found:
        raise SkuMapError(f"order {store}/{order_id} is held ({entry.hold_code}) with no SKU suggestions")
    connection = entry.connection or services.settings.connection_of(store)
    return Acceptance(store, order_id, connection, {sku: items[0] for sku, items in found.items() if items})


def accept(services: Services, chosen: Acceptance, *, by: str) -> list[SkuMapping]:
    """Map each held SKU to its top suggestion; the order posts on its next re-drive."""
    return [
        set_mapping(services, chosen.connection, sku, suggestion.number, by=by, source="accept")
        for sku, suggestion in chosen.choices.items()
    ]
