"""The two-way product sync's decision, per field: which side changed since the last sync, and conflicts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.flows.product_fields_plan import Action, Decision, Synced, decide, name_value, price_value

LAST = Synced(erp="Chair", woo="Chair")


def test_equal_sides_are_in_step_whatever_the_direction() -> None:
    for direction in ("gp", "woo", "both"):
        assert decide(direction, LAST, "Chair", "Chair") == Decision(Action.IN_STEP)
        assert decide(direction, None, "Chair", "Chair") == Decision(Action.IN_STEP)


def test_both_only_the_erp_changed_goes_to_the_store() -> None:
    assert decide("both", LAST, "Oak Chair", "Chair") == Decision(Action.TO_WOO, "Oak Chair")


def test_both_only_the_store_changed_goes_to_the_erp() -> None:
    assert decide("both", LAST, "Chair", "Garden Chair") == Decision(Action.TO_ERP, "Garden Chair")


def test_both_sides_changed_to_different_values_is_a_conflict_with_nothing_to_write() -> None:
    decision = decide("both", LAST, "Oak Chair", "Garden Chair")
    assert decision == Decision(Action.CONFLICT) and decision.value is None


def test_a_standing_conflict_stays_until_the_sides_agree_or_one_goes_back() -> None:
    # The snapshot is not refreshed by a conflict, so the next run sees the same changes.
    assert decide("both", LAST, "Oak Chair", "Garden Chair").action == Action.CONFLICT
    assert decide("both", LAST, "Garden Chair", "Garden Chair").action == Action.IN_STEP  # a person made them equal
    # The store put back its old name: only the ERP changed now, and its value wins.
    assert decide("both", LAST, "Oak Chair", "Chair") == Decision(Action.TO_WOO, "Oak Chair")


def test_both_with_no_snapshot_yet_the_erp_is_master() -> None:
    assert decide("both", None, "Oak Chair", "Garden Chair") == Decision(Action.TO_WOO, "Oak Chair")


def test_one_way_fields_write_the_masters_value_whichever_side_moved() -> None:
    assert decide("woo", LAST, "Oak Chair", "Chair") == Decision(Action.TO_ERP, "Chair")  # GP drift is put back
    assert decide("woo", LAST, "Oak Chair", "Garden Chair") == Decision(Action.TO_ERP, "Garden Chair")
    assert decide("gp", LAST, "Chair", "Garden Chair") == Decision(Action.TO_WOO, "Chair")


@pytest.mark.parametrize("erp, woo", [(None, "Chair"), ("Chair", None), (None, None)])
def test_a_side_without_a_value_is_left_alone(erp: str | None, woo: str | None) -> None:
    for direction in ("gp", "woo", "both"):
        assert decide(direction, LAST, erp, woo) == Decision(Action.SKIP)


def test_prices_compare_as_woo_keeps_them() -> None:
    assert price_value(Decimal("39")) == price_value("39.00") == "39.00"
    assert price_value(Decimal("12.34567")) == "12.35"  # GP keeps 5 decimals, Woo 2
    assert price_value(Decimal(0)) is None  # "not priced", never pushed as free
    assert price_value(None) is None and price_value("") is None and price_value("n/a") is None
    last = Synced(price_value(Decimal("10")) or "", price_value("10.00") or "")
    assert decide("both", last, price_value(Decimal("10.00000")), price_value("10")).action == Action.IN_STEP


def test_names_compare_stripped_and_an_empty_name_is_no_value() -> None:
    assert name_value("  Oak Chair ") == "Oak Chair"
    assert name_value("Oak &amp; Ash") == "Oak & Ash"  # never "&amp;" into GP
    assert name_value("") is None and name_value("   ") is None and name_value(None) is None
