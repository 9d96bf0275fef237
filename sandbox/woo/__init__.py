"""WooCommerce emulator: REST API v3, webhook delivery and a shopper simulator (see emulator.py)."""

from sandbox.woo.delivery import DeliveryOptions
from sandbox.woo.emulator import WooEmulator
from sandbox.woo.shopper import CartLine, Checkout
from sandbox.woo.state import StoreOptions

__all__ = ["CartLine", "Checkout", "DeliveryOptions", "StoreOptions", "WooEmulator"]
