"""Business Central API v2.0 emulator (plus the wooConnector shipment-tracking custom API)."""

from sandbox.bc.emulator import BcEmulator
from sandbox.bc.errors import ApiError
from sandbox.bc.webhooks import WebhookConfig

__all__ = ["ApiError", "BcEmulator", "WebhookConfig"]
