"""Cached Woo buyer → ERP customer matches, so a returning customer costs no ERP call.

Partitioned by ERP connection (stores sharing one share its customers); keys are hashes of the
normalised e-mail (or phone), so no personal data sits in table keys.
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

    def get(self, connection: str, key: str) -> tuple[str, str] | None:
        row = self.table.get(connection, key)
        return None if row is None else (str(row.data["number"]), str(row.data.get("id", "")))

    def put(self, connection: str, key: str, number: str, customer_id: str) -> None:
        self.table.upsert(Row(connection, key, {"number": number, "id": customer_id}))

    def forget(self, connection: str, key: str) -> None:
        self.table.delete(connection, key)
