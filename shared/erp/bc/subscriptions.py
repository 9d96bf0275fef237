"""Business Central webhook subscriptions (facts: dynamics.md §1.8).

``…/api/v2.0/subscriptions`` is not company-scoped. Creating and renewing both make BC call the
notification URL with ``?validationToken=`` first (the handshake, answered by the erp_webhook
function); a subscription expires after three days unless renewed with PATCH + If-Match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.config import BcConnection

if TYPE_CHECKING:
    from shared.erp.bc.client import BcClient


@dataclass(frozen=True)
class BcSubscription:
    subscription_id: str
    notification_url: str
    resource: str
    client_state: str
    expires_at: datetime | None
    etag: str | None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> BcSubscription:
        expiry = str(row.get("expirationDateTime") or "")
        expires_at = datetime.fromisoformat(expiry.replace("Z", "+00:00")) if expiry else None
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        return cls(
            subscription_id=str(row["subscriptionId"]),
            notification_url=str(row.get("notificationUrl") or ""),
            resource=str(row.get("resource") or ""),
            client_state=str(row.get("clientState") or ""),
            expires_at=expires_at,
            etag=row.get("@odata.etag") if isinstance(row.get("@odata.etag"), str) else None,
        )


def subscriptions_url(connection: BcConnection) -> str:
    environment = f"{connection.api_url.rstrip('/')}/v2.0/{connection.tenant_id}/{connection.environment}"
    return f"{environment}/api/v2.0/subscriptions"


def resource_path(connection: BcConnection, entity_set: str) -> str:
    """What a subscription's `resource` names: `/api/v2.0/companies(<id>)/<entity set>`."""
    return f"/api/v2.0/companies({connection.company_id})/{entity_set}"


class BcSubscriptions:
    """List, create, renew and delete subscriptions through the company client's classified calls."""

    def __init__(self, client: BcClient) -> None:
        self.client = client
        self.url = subscriptions_url(client.connection)

    def _one(self, subscription_id: str) -> str:
        return f"{self.url}('{subscription_id}')"

    def list(self) -> list[BcSubscription]:
        return [BcSubscription.from_json(row) for row in self.client.get_all(self.url, {})]

    def create(self, notification_url: str, resource: str, client_state: str) -> BcSubscription:
        body = {"notificationUrl": notification_url, "resource": resource, "clientState": client_state}
        return BcSubscription.from_json(self.client.call("POST", self.url, json=body))

    def renew(self, subscription: BcSubscription, notification_url: str, client_state: str) -> BcSubscription:
        """PATCH (a new handshake, a new three-day expiry); ErpConflict on a stale ETag."""
        body = {"notificationUrl": notification_url, "clientState": client_state}
        headers = {"If-Match": subscription.etag or "*"}
        row = self.client.call("PATCH", self._one(subscription.subscription_id), json=body, headers=headers)
        return BcSubscription.from_json(row)

    def delete(self, subscription: BcSubscription) -> None:
        headers = {"If-Match": subscription.etag or "*"}
        self.client.call("DELETE", self._one(subscription.subscription_id), headers=headers)
