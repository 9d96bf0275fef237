"""`python -m bench --quick` writes beside the tracked full-run results, never over them."""

from __future__ import annotations

from pathlib import Path

from bench.__main__ import RESULTS, results_path


def test_a_quick_run_writes_beside_the_full_run_file() -> None:
    full = results_path(None, quick=False)
    quick = results_path(None, quick=True)
    assert full == RESULTS / "latest.json" and full.exists()  # the tracked file
    assert quick.parent == full.parent and quick != full
    assert results_path(Path("/tmp/x.json"), quick=True) == Path("/tmp/x.json")  # --out still wins


def test_the_quick_results_file_is_not_tracked() -> None:
    gitignore = (RESULTS.parents[1] / ".gitignore").read_text().splitlines()
    assert "bench/results/latest-quick.json" in gitignore
