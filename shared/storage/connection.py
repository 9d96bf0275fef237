"""Connect to the storage account named by `AzureWebJobsStorage`, as the Functions host does.

Either a connection string in `AzureWebJobsStorage`, or identity-based settings:
`AzureWebJobsStorage__accountName` (or `__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri`),
with `__credential=managedidentity` and `__clientId` for a user-assigned identity.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.core.credentials import TokenCredential
from azure.data.tables import TableServiceClient
from azure.storage.queue import QueueServiceClient

from shared.config import ConfigError

if TYPE_CHECKING:  # imported by blob_service(): the blob SDK is not needed at cold start
    from azure.storage.blob import BlobServiceClient

SETTING = "AzureWebJobsStorage"
# Every storage call gets these; the SDK's own retry policy retries transient failures.
CLIENT_OPTIONS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30, "retry_total": 3}


def webhook_queue_options() -> dict[str, Any]:
    """For the webhook's enqueue: an answer (200, or 503 when storage is down) well inside WooCommerce's
    60 s delivery timeout (facts woocommerce.md §1). The default policy backs off 15 + 18 + 24 s, so a
    storage outage answered only after about 78 s; this one tries three times over a few seconds."""
    from azure.storage.queue import ExponentialRetry

    retry = ExponentialRetry(initial_backoff=1, increment_base=2, retry_total=2, random_jitter_range=1)
    return {"connection_timeout": 3, "read_timeout": 5, "retry_policy": retry}


@dataclass(frozen=True)
class StorageAccount:
    connection_string: str | None = None
    blob_uri: str | None = None
    queue_uri: str | None = None
    table_uri: str | None = None
    client_id: str | None = None

    @classmethod
    def from_settings(cls, environ: Mapping[str, str] | None = None, name: str = SETTING) -> StorageAccount:
        env = os.environ if environ is None else environ
        lowered = {key.lower(): value for key, value in env.items()}
        connection_string = lowered.get(name.lower(), "").strip()
        if connection_string:
            return cls(connection_string=connection_string)
        prefix = name.lower() + "__"
        account = lowered.get(prefix + "accountname")
        uris = {
            service: lowered.get(f"{prefix}{service}serviceuri")
            or (f"https://{account}.{service}.core.windows.net" if account else None)
            for service in ("blob", "queue", "table")
        }
        if not any(uris.values()):
            raise ConfigError(
                f"Missing setting {name}: give a connection string, or {name}__accountName "
                f"(or {name}__queueServiceUri etc.) with {name}__credential=managedidentity"
            )
        return cls(
            blob_uri=uris["blob"],
            queue_uri=uris["queue"],
            table_uri=uris["table"],
            client_id=lowered.get(prefix + "clientid"),
        )

    def _credential(self) -> TokenCredential:
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        if self.client_id:
            return ManagedIdentityCredential(client_id=self.client_id)
        return DefaultAzureCredential()

    def _uri(self, service: str) -> str:
        uri = getattr(self, f"{service}_uri")
        if not uri:
            raise ConfigError(f"Missing setting {SETTING}__{service}ServiceUri")
        return str(uri)

    def queue_service(self, *, webhook: bool = False) -> QueueServiceClient:
        """The queue service; ``webhook``: with the quick retries of the webhook's enqueue."""
        options = webhook_queue_options() if webhook else CLIENT_OPTIONS
        if self.connection_string:
            return QueueServiceClient.from_connection_string(self.connection_string, **options)
        return QueueServiceClient(self._uri("queue"), credential=self._credential(), **options)

    def blob_service(self) -> BlobServiceClient:
        from azure.storage.blob import BlobServiceClient

        if self.connection_string:
            return BlobServiceClient.from_connection_string(self.connection_string, **CLIENT_OPTIONS)
        return BlobServiceClient(self._uri("blob"), credential=self._credential(), **CLIENT_OPTIONS)

    def table_service(self) -> TableServiceClient:
        if self.connection_string:
            return TableServiceClient.from_connection_string(self.connection_string)
        return TableServiceClient(self._uri("table"), credential=self._credential())
