"""SKU suggestions: the ERP item a near-miss SKU meant ranks first."""

from __future__ import annotations

from shared.mapping.suggestions import Candidate, normalise_number, suggest_items

CATALOGUE = [
    Candidate("1896-S", "ATHENS Desk"),
    Candidate("1900-S", "PARIS Guest Chair, black"),
    Candidate("1906-S", "ATHENS Mobile Pedestal"),
    Candidate("TSHIRT-RED-L", "T-shirt red, large"),
    Candidate("TSHIRT-RED-M", "T-shirt red, medium"),
    Candidate("MUG-0042", "Coffee mug"),
]


def test_normalising_ignores_case_separators_and_leading_zeros() -> None:
    assert normalise_number("sku-00123 b") == "SKU123B"
    assert normalise_number("MUG-0042") == normalise_number("mug42")


def test_a_differently_spelt_number_ranks_its_item_first() -> None:
    assert suggest_items("tshirt_red_l", CATALOGUE)[0].number == "TSHIRT-RED-L"
    assert suggest_items("mug42", CATALOGUE)[0].number == "MUG-0042"
    assert suggest_items("1896S", CATALOGUE)[0].score == 100.0


def test_a_store_prefix_still_finds_the_item() -> None:
    assert suggest_items("WOO-1906-S", CATALOGUE)[0].number == "1906-S"


def test_the_product_name_breaks_a_tie_between_close_numbers() -> None:
    best = suggest_items("TSHIRT-RED", CATALOGUE, product_name="Red T-shirt (medium)")[0]
    assert best.number == "TSHIRT-RED-M"


def test_nothing_close_suggests_nothing() -> None:
    assert suggest_items("GARDEN-HOSE-25M", CATALOGUE) == []
    assert suggest_items("", CATALOGUE) == []


def test_at_most_limit_suggestions_best_first() -> None:
    found = suggest_items("1900", CATALOGUE, limit=2)
    assert len(found) == 2
    assert found[0].number == "1900-S"
    assert found[0].score >= found[1].score
