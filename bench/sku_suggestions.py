"""`python -m bench.sku_suggestions [--out PATH]`: how often shared/mapping/suggestions.py ranks the
right ERP item first (top-1) and among its three suggestions (top-3) for realistic near-miss SKUs.

The labelled set is generated, deterministically (a fixed seed), from a catalogue shaped like a
mid-sized retailer's ERP: numbered items (``1896-S``), code-style items with sizes and colours in
families that differ by one part (``TSHIRT-RED-L`` / ``TSHIRT-RED-M``), AdventureWorks-style codes
(``BK-M68B-42``), zero-padded numbers (``MUG-0042``) and plain numbers (``70000``). Each Woo SKU is one
of the ways merchants' SKUs drift from item numbers: separators, leading zeros, a store prefix,
a suffix, a typo, a transposition, a dropped character, a variant suffix on a base item, or two at
once (with case; case alone already matches, as item numbers are compared upper-cased). It is
measured with and without the Woo product's name (a near-miss product's name is rarely the ERP's exact
text: words are reordered, dropped or added). Pure CPU, no I/O but the JSON written.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import RESULTS, git_commit, machine, now_iso
from shared.mapping.suggestions import Candidate, suggest_items

SEED = 16
PAIRS = 400

COLOURS = ["RED", "BLUE", "BLACK", "WHITE", "GREEN", "GREY", "NAVY", "BRASS"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
NOUNS = [
    ("TSHIRT", "T-shirt"), ("HOODIE", "Hoodie"), ("MUG", "Coffee mug"), ("LAMP", "Desk lamp"),
    ("CHAIR", "Guest chair"), ("DESK", "Office desk"), ("SHELF", "Wall shelf"), ("CAP", "Baseball cap"),
    ("SOCKS", "Sports socks"), ("BOTTLE", "Water bottle"), ("PEN", "Ballpoint pen"), ("BAG", "Tote bag"),
]  # fmt: skip
CITIES = ["ATHENS", "PARIS", "ANTWERP", "INNSBRUCK", "BERLIN", "OSLO", "ROME", "LISBON", "MADRID", "VIENNA"]
FURNITURE = ["Desk", "Guest Chair", "Conference Table", "Storage Unit", "Desk Lamp", "Shelf", "Sofa", "Bench"]
AW_KINDS = [("BK", "Bike"), ("FR", "Frame"), ("HL", "Headset"), ("SO", "Sock"), ("GL", "Glove"), ("TI", "Tire")]


def catalogue(rng: random.Random) -> list[Candidate]:
    items: dict[str, str] = {}
    for code, noun in NOUNS:  # families: one part apart
        for colour in rng.sample(COLOURS, 6):
            for size in rng.sample(SIZES, 4):
                items[f"{code}-{colour}-{size}"] = f"{noun} {colour.lower()}, size {size}"
    for number in rng.sample(range(1000, 2000), 200):  # BC's demo style: 1896-S
        items[f"{number}-{rng.choice('SW')}"] = f"{rng.choice(CITIES)} {rng.choice(FURNITURE)}"
    for _ in range(200):  # AdventureWorks style: BK-M68B-42
        kind, name = rng.choice(AW_KINDS)
        model = f"{rng.choice('MRT')}{rng.randint(10, 99)}{rng.choice('BSY')}"
        size = rng.choice(["38", "42", "44", "48", "52", "58", "S", "M", "L"])
        items[f"{kind}-{model}-{size}"] = f"{name} {model} {size}"
    for code, noun in NOUNS:  # zero-padded numbers: MUG-0042
        for number in rng.sample(range(1, 400), 15):
            items[f"{code}-{number:04d}"] = f"{noun} no. {number}"
    for number in rng.sample(range(10000, 99999), 150):  # plain numbers
        items[str(number)] = f"{rng.choice(['Side panel', 'Spare part', 'Screw set', 'Hinge', 'Bracket'])} {number}"
    return [Candidate(number, name) for number, name in sorted(items.items())]


# ----------------------------------------------------------------------------- how SKUs drift


def _case(s: str, rng: random.Random) -> str:
    return s.lower() if rng.random() < 0.7 else s.title()


def _separators(s: str, rng: random.Random) -> str:
    return s.replace("-", rng.choice(["_", " ", "", ".", "/"]))


def _zeros(s: str, rng: random.Random) -> str:
    parts = s.split("-")
    for i, part in enumerate(parts):
        if part.isdigit():
            parts[i] = part.lstrip("0") or "0" if part.startswith("0") else "0" * rng.randint(1, 2) + part
            return "-".join(parts)
    return "-".join([*parts[:-1], "0" + parts[-1]])


def _prefix(s: str, rng: random.Random) -> str:
    return rng.choice(["WOO-", "W-", "SHOP-", "WEB", "EU-"]) + s


def _suffix(s: str, rng: random.Random) -> str:
    return s + rng.choice(["-NEW", "-1", "-WEB", "-V2", "X"])


def _typo(s: str, rng: random.Random) -> str:
    i = rng.randrange(len(s))
    pool = string.digits if s[i].isdigit() else string.ascii_uppercase
    return s[:i] + rng.choice([c for c in pool if c != s[i].upper()]) + s[i + 1 :]


def _transpose(s: str, rng: random.Random) -> str:
    spots = [i for i in range(len(s) - 1) if s[i] != s[i + 1]]
    i = rng.choice(spots)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _drop(s: str, rng: random.Random) -> str:
    i = rng.randrange(len(s))
    return s[:i] + s[i + 1 :]


def _variant(s: str, rng: random.Random) -> str:
    """A Woo variation's SKU on a base item (the ERP keeps the colour or size as an item variant)."""
    return s + "-" + rng.choice([*COLOURS[:4], "BLK", "WHT", *SIZES[1:5]])


def _two(s: str, rng: random.Random) -> str:
    first, second = rng.sample([_case, _separators, _zeros, _prefix, _typo, _transpose], 2)
    return second(first(s, rng), rng)


# Case alone is no near miss: item numbers are matched upper-cased (rules.item_key). It comes with another.
DRIFTS: dict[str, Callable[[str, random.Random], str]] = {
    "separators": _separators,
    "leading zeros": _zeros,
    "prefix": _prefix,
    "suffix": _suffix,
    "typo": _typo,
    "transposition": _transpose,
    "dropped character": _drop,
    "variant suffix": _variant,
    "two at once": _two,
}


def woo_name(name: str, rng: random.Random) -> str:
    """The Woo product's name: the ERP's words, reordered, one maybe dropped, a word maybe added."""
    words = name.replace(",", "").split()
    rng.shuffle(words)
    if len(words) > 2 and rng.random() < 0.4:
        words.pop(rng.randrange(len(words)))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words) + 1), rng.choice(["Premium", "New", "Classic", "-"]))
    return " ".join(words)


@dataclass(frozen=True)
class Pair:
    sku: str
    product_name: str
    item: str
    drift: str


def labelled_pairs(items: list[Candidate], rng: random.Random, count: int = PAIRS) -> list[Pair]:
    pairs: list[Pair] = []
    kinds = list(DRIFTS)
    numbers = {c.number for c in items}
    for _ in range(count * 20):
        if len(pairs) == count:
            break
        drift = kinds[len(pairs) % len(kinds)]
        item = rng.choice(items)
        sku = DRIFTS[drift](item.number, rng)
        if sku.upper() == item.number or sku.upper() in numbers:
            continue  # not a near miss: the SKU is an item number as it is
        pairs.append(Pair(sku, woo_name(item.name, rng), item.number, drift))
    return pairs


def measure(pairs: list[Pair], items: list[Candidate], *, with_names: bool) -> dict[str, Any]:
    by_drift: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # pairs, top-1, top-3, none
    started = time.perf_counter()
    for pair in pairs:
        found = suggest_items(pair.sku, items, product_name=pair.product_name if with_names else "")
        ranked = [s.number for s in found]
        counts = by_drift[pair.drift]
        counts[0] += 1
        counts[1] += ranked[:1] == [pair.item]
        counts[2] += pair.item in ranked[:3]
        counts[3] += not ranked
    elapsed = time.perf_counter() - started
    total = [sum(c[i] for c in by_drift.values()) for i in range(4)]
    return {
        "pairs": total[0],
        "top1": round(total[1] / total[0], 3),
        "top3": round(total[2] / total[0], 3),
        "no_suggestion": round(total[3] / total[0], 3),
        "ms_per_sku": round(elapsed / total[0] * 1000, 2),
        "by_drift": {
            drift: {"pairs": c[0], "top1": round(c[1] / c[0], 3), "top3": round(c[2] / c[0], 3)}
            for drift, c in by_drift.items()
        },
    }


def run() -> dict[str, Any]:
    rng = random.Random(SEED)
    items = catalogue(rng)
    pairs = labelled_pairs(items, rng)
    return {
        "timestamp": now_iso(),
        "commit": git_commit(),
        "machine": machine(),
        "seed": SEED,
        "catalogue_items": len(items),
        "with_product_name": measure(pairs, items, with_names=True),
        "sku_only": measure(pairs, items, with_names=False),
        "examples": [pair.__dict__ for pair in pairs[:: max(1, len(pairs) // 12)]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sku_suggestions", description=__doc__)
    parser.add_argument("--out", type=Path, default=RESULTS / "sku_suggestions.json")
    args = parser.parse_args(argv)
    result = run()
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for mode in ("with_product_name", "sku_only"):
        figures = result[mode]
        print(f"{mode}: top-1 {figures['top1']:.1%}, top-3 {figures['top3']:.1%} of {figures['pairs']} SKUs")
        for drift, f in figures["by_drift"].items():
            print(f"  {drift:18} top-1 {f['top1']:.0%}  top-3 {f['top3']:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
