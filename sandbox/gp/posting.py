"""Batches and posting: documents are saved into a batch (``BatchKey.Id``) and posted with it (facts §3, §5).

Posting a batch moves its SOP documents to ``History`` and its RM documents to ``Open`` (posted, open
receivables); posted documents are read-only (facts §4 [ml]: "Write operations only succeed on unposted
(Work) transactions"). A voided document in the batch stays out of the ledger.
"""

from __future__ import annotations

from sandbox.gp.soap import RM_KINDS, SOP_KINDS
from sandbox.gp.store import Company, now

SOURCES = {"Sales Entry": tuple(SOP_KINDS), "RM_Sales": tuple(RM_KINDS), "RM_Cash": ("CashReceipt",)}


class BatchNotFound(LookupError):
    pass


class BatchAlreadyPosted(ValueError):
    pass


def post_batch(company: Company, source: str, number: str, user: str = "") -> int:
    """Post the batch; returns how many documents it posted. Call with the store lock held."""
    batch = company.batches.get((source, number))
    if batch is None:
        raise BatchNotFound(f"Batch {source};{number} does not exist.")
    if batch.posted:
        raise BatchAlreadyPosted(f"Batch {source};{number} is already posted.")
    stamp = now()
    posted = 0
    for kind in SOURCES.get(source, ()):
        for doc in company.entities[kind].values():
            if (doc.get("BatchKey") or {}).get("Id") != number or doc.get("IsVoided") or doc.get("PostedDate"):
                continue
            if kind in SOP_KINDS:
                doc["TransactionState"] = "History"
            elif kind in RM_KINDS:
                doc["TransactionState"] = "Open"
            doc["PostedDate"] = stamp
            if user:
                doc["PostedBy"] = user
            posted += 1
    batch.posted, batch.posted_at = True, stamp
    return posted
