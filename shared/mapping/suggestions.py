"""Which ERP items a Woo SKU that matches none probably meant (no I/O).

A held unknown-SKU order, the readiness report and `connector sku-map` show these so a person can
confirm a mapping instead of searching the ERP by hand. Similarity is rapidfuzz's (a well-kept C
implementation of Levenshtein-based ratios); this module only decides what is compared:

- item numbers after normalising what merchants vary without meaning to (case, separators, spaces,
  leading zeros of a number), compared both whole and as a part (``WOO-1001`` against ``1001``);
- the Woo product's name against the ERP item's name, by shared words, when both are known.

Equal scores are ranked by edits (a swap of two neighbours counting as one) and then by the longer
common start. `python -m bench.sku_suggestions` measures the ranking on a labelled set (README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, utils
from rapidfuzz.distance import OSA

NUMBER_WEIGHT = 0.75
"""How much the item number counts against the name, when both names are known."""

DEFAULT_MIN_SCORE = 60.0
"""Below this (0-100) a candidate is noise, not a suggestion."""

_SEPARATORS = re.compile(r"[^0-9A-Z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


@dataclass(frozen=True)
class Candidate:
    """An ERP item that a SKU could be mapped to."""

    number: str
    name: str = ""


@dataclass(frozen=True)
class Suggestion:
    number: str
    name: str
    score: float
    """0-100; 100 is the same number once case, separators and leading zeros are ignored."""


def normalise_number(number: str) -> str:
    """``"sku-00123 b"`` → ``"SKU123B"``: what two spellings of one item number have in common."""
    return _LEADING_ZEROS.sub("", _SEPARATORS.sub("", number.upper()))


def number_similarity(sku: str, number: str) -> float:
    a, b = normalise_number(sku), normalise_number(number)
    if not a or not b:
        return 0.0
    whole = fuzz.ratio(a, b)
    # One spelling inside the other (a store prefix, a variant suffix) counts a little less than equal.
    part = fuzz.partial_ratio(a, b) * 0.9 if min(len(a), len(b)) >= 4 else 0.0
    return max(whole, part)


def name_similarity(woo_name: str, erp_name: str) -> float:
    return fuzz.token_set_ratio(woo_name, erp_name, processor=utils.default_process)


def suggest_items(
    sku: str,
    candidates: Iterable[Candidate],
    *,
    product_name: str = "",
    limit: int = 3,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[Suggestion]:
    """The ``limit`` closest ERP items to a Woo SKU (and its product's name), best first."""
    scored: list[tuple[float, float, int, Suggestion]] = []
    for candidate in candidates:
        score = number_similarity(sku, candidate.number)
        if product_name.strip() and candidate.name.strip():
            score = NUMBER_WEIGHT * score + (1 - NUMBER_WEIGHT) * name_similarity(product_name, candidate.name)
        if score >= min_score:
            suggestion = Suggestion(candidate.number, candidate.name, round(score, 1))
            scored.append((-suggestion.score, *_tie_break(sku, candidate.number), suggestion))
    scored.sort(key=lambda ranked: (*ranked[:3], ranked[3].number))
    return [ranked[3] for ranked in scored[:limit]]


def _tie_break(sku: str, number: str) -> tuple[float, int]:
    """Between equal scores (one typo away from several items of a family): fewer edits when swapping two
    neighbours counts as one (OSA distance), then the longer common start (a variant suffix on a base
    item, ``TSHIRT-RED-S-BLK`` → ``TSHIRT-RED-S``); negated, to sort ascending."""
    a, b = normalise_number(sku), normalise_number(number)
    common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return -OSA.normalized_similarity(a, b), -common
