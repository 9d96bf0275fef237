"""WooCommerce / WP REST error objects: {"code", "message", "data": {"status", ...}}."""

from __future__ import annotations

from typing import Any


class WooError(Exception):
    def __init__(self, status: int, code: str, message: str, *, raw_data: Any = None, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        # A WP_Error whose data is not an array (e.g. `new WP_Error(code, message, 500)`) is sent as is.
        self.raw_data = raw_data
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        if self.raw_data is not None:
            return {"code": self.code, "message": self.message, "data": self.raw_data}
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_param(
    name: str, message: str, code: str = "rest_invalid_param", detail: str = "rest_out_of_bounds"
) -> WooError:
    """WP core argument validation failure (rest_invalid_param with params/details)."""
    return WooError(
        400,
        code,
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": detail, "message": message, "data": None}},
    )


def no_route() -> WooError:
    return WooError(404, "rest_no_route", "No route was found matching the URL and request method")


def cannot_create_refund(message: str) -> WooError:
    """The refunds controller wraps a failed wc_create_refund() as `new WP_Error(..., 500)`: the body's
    `data` is the number 500, not `{"status": 500}` (facts woocommerce.md §0, §2.5)."""
    return WooError(500, "woocommerce_rest_cannot_create_order_refund", message, raw_data=500)
