"""The messages on the connector's queues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

ENVELOPE_VERSION = 1
# The largest id PHP can put in a payload: PHP_INT_MAX on 64-bit (WooCommerce ids are `absint`s of
# BIGINT columns). Beyond it an id cannot name a Woo resource, and Table storage's Int64 cannot hold it.
MAX_RESOURCE_ID = 2**63 - 1


class WooEvent(BaseModel):
    """A WooCommerce webhook delivery (or a re-drive of one), as queued by the ingress function."""

    v: int = ENVELOPE_VERSION
    store: str
    topic: str  # e.g. "order.updated"; "order.retry" for re-drives without a body
    resource_id: int = Field(gt=0, le=MAX_RESOURCE_ID)
    modified: str | None = None  # date_modified_gmt of the payload, naive GMT as Woo sends it
    status: str | None = None
    delivery_id: str | None = None
    webhook_id: str | None = None
    received_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    attempt: int = 0  # re-schedules so far (transient failures), see shared.flows.orders
    body: dict[str, Any] | None = None  # the webhook payload; None when it must be re-read
    # The id of the queue message that carried this event (kept across redeliveries of that message,
    # never queued: a re-scheduled copy is a new message).
    message_id: str = Field(default="", exclude=True)

    @property
    def resource(self) -> str:
        return self.topic.split(".", 1)[0]

    @property
    def event(self) -> str:
        return self.topic.split(".", 1)[1] if "." in self.topic else ""
