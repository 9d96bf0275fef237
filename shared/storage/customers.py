"""Cached Woo buyer → ERP customer matches, so a returning customer costs no ERP call.

Keys are hashes of the normalised e-mail (or phone), so no personal data sits in table keys.
"""

from __future__ import annotations

import hashlib

from azure.data.tables import TableServiceClient

from shared.storage.names import CUSTOMERS_TABLE
from shared.storage.tables import Row, Table


def buyer_key(email: str | None, phone: str | None) -> str | None:
    if email and email.strip():
        basis = "email:" + email.strip().lower()
    elif phone and "".join(ch for ch in phone if ch.isdigit()):
        basis = "phone:" + "".join(ch for ch in phone if ch.isdigit())
    else:
        return None
    return hashlib.sha256(basis.encode()).hexdigest()


class CustomerMap:
    def __init__(self, service: TableServiceClient) -> None:
        self.table = Table.of(service, CUSTOMERS_TABLE)

    def get(self, store: str, key: str) -> tuple[str, str] | None:
        row = self.table.get(store, key)
        return None if row is None else (str(row.data["number"]), str(row.data.get("id", "")))

    def put(self, store: str, key: str, number: str, customer_id: str) -> None:
        self.table.upsert(Row(store, key, {"number": number, "id": customer_id}))

    def forget(self, store: str, key: str) -> None:
        self.table.delete(store, key)
