"""`connector sku-map` against Azurite: the table, the audit trail, CSV in and out, and `accept` with
its confirmation, in-process and as an operator runs it (a subprocess reading the answer on stdin)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient

from shared.cli import main
from shared.config import Settings
from shared.flows.services import Services
from shared.storage.ledger import LedgerEntry, OrderState
from shared.storage.names import AUDIT_TABLE, LEDGER_TABLE, SKU_MAP_TABLE

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STORE = "skumapcli"


@pytest.fixture
def storage(storage_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The session's Azurite with this module's partitions emptied, and the `bc` connection's seed."""
    monkeypatch.setenv("BC_SKU_MAP", json.dumps({"pen": "PEN-1"}))
    services = Services(Settings())
    services.ensure_storage()
    tables = TableServiceClient.from_connection_string(storage_env)
    for table, partition in ((SKU_MAP_TABLE, "bc"), (AUDIT_TABLE, "sku-map_bc"), (LEDGER_TABLE, STORE)):
        client = tables.get_table_client(table)
        for entity in client.query_entities("PartitionKey eq @pk", parameters={"pk": partition}):
            client.delete_entity(entity["PartitionKey"], entity["RowKey"])
    yield storage_env


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_set_list_remove_and_history(storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "sku-map", "set", "mug/blue", "mug-b", "--by", "alice")[0] == 0
    assert cli(capsys, "sku-map", "set", "MUG/BLUE", "MUG-BLUE", "--by", "bob")[0] == 0
    code, out, _ = cli(capsys, "sku-map", "list", "--json")
    assert code == 0
    assert [(e["sku"], e["number"], e["source"], e["updated_by"]) for e in json.loads(out)] == [
        ("MUG/BLUE", "MUG-BLUE", "set", "bob"),
        ("pen", "PEN-1", "setting", ""),
    ]
    code, _, err = cli(capsys, "sku-map", "remove", "pen", "--by", "carol")
    assert code == 1 and "SKU_MAP setting" in err  # the seed is changed in the setting, not here
    assert cli(capsys, "sku-map", "remove", "mug/blue", "--by", "carol")[0] == 0
    code, out, _ = cli(capsys, "sku-map", "history", "--json")
    assert [(r["outcome"], r["sku"], r["previous"], r["by"]) for r in json.loads(out)] == [
        ("set", "mug/blue", "", "alice"),
        ("set", "MUG/BLUE", "MUG-B", "bob"),
        ("remove", "MUG/BLUE", "MUG-BLUE", "carol"),
    ]


def test_import_refuses_a_bad_file_whole_and_export_reads_back(
    storage: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,number\ncup,CUP-1\nlamp,THIS-ITEM-NUMBER-IS-TOO-LONG\n", encoding="utf-8")
    code, _, err = cli(capsys, "sku-map", "import", str(bad))
    assert code == 1 and "line 3" in err and "longer than 20" in err
    assert json.loads(cli(capsys, "sku-map", "list", "--json")[1]) == [
        {"sku": "pen", "number": "PEN-1", "source": "setting", "updated_by": "", "updated_at": ""}
    ]
    rows = "\n".join(f"web-{n:04d},ITEM-{n:04d}" for n in range(250))  # more than one table batch page
    good = tmp_path / "good.csv"
    good.write_text("sku,number\n" + rows + "\n", encoding="utf-8")
    code, out, _ = cli(capsys, "sku-map", "import", str(good), "--by", "ops")
    assert code == 0 and "250 mapping(s) imported" in out
    code, out, _ = cli(capsys, "sku-map", "export")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "sku,number" and len(lines) == 252 and "pen,PEN-1" in lines and "web-0249,ITEM-0249" in lines
    assert Services(Settings()).sku_map("bc")["web-0007"] == "ITEM-0007"


def held_with_suggestion(services: Services, order_id: int) -> None:
    entry = LedgerEntry(STORE, order_id, state=OrderState.HELD, order_number=str(order_id), connection="bc")
    entry.hold_code, entry.hold_reason = "unknown_sku", "Unknown SKU 'woo_0093' … Closest ERP items: WOO-93"
    entry.suggestions = json.dumps({"woo_0093": [["WOO-93", "Woo Single", 91.0], ["WOO-94", "", 70.0]]})
    entry.held_since = datetime.now(UTC).isoformat()
    services.ledger.save(entry)


def test_accept_asks_first_and_maps_the_top_suggestion(storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    services = Services(Settings())
    held_with_suggestion(services, 41)
    code, out, _ = cli(capsys, "held", "--store", STORE, "--json")
    assert code == 0
    assert json.loads(out)[0]["suggestions"]["woo_0093"][0] == ["WOO-93", "Woo Single", 91.0]

    env = {k: v for k, v in os.environ.items()} | {"COLUMNS": "200", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "shared.cli", "sku-map", "accept", f"{STORE}/41", "--by", "dana"]
    declined = subprocess.run(command, input="n\n", capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert declined.returncode == 1 and "Nothing changed" in declined.stdout
    assert "woo_0093" not in Services(Settings()).sku_map("bc")
    confirmed = subprocess.run(command, input="y\n", capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert confirmed.returncode == 0, confirmed.stderr
    assert "'woo_0093' → WOO-93" in confirmed.stdout and "next re-drive" in confirmed.stdout
    assert Services(Settings()).sku_map("bc")["woo_0093"] == "WOO-93"
    history = json.loads(cli(capsys, "sku-map", "history", "--json")[1])
    assert history[-1]["outcome"] == "accept" and history[-1]["by"] == "dana"


def test_accept_yes_and_an_order_without_suggestions(storage: str, capsys: pytest.CaptureFixture[str]) -> None:
    services = Services(Settings())
    held_with_suggestion(services, 42)
    assert cli(capsys, "sku-map", "accept", f"{STORE}/42", "--yes")[0] == 0
    code, _, err = cli(capsys, "sku-map", "accept", f"{STORE}/43", "--yes")
    assert code == 1 and "not in the ledger" in err
