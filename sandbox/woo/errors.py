"""WooCommerce / WP REST error objects: {"code", "message", "data": {"status", ...}}."""

from __future__ import annotations

from typing import Any


class WooError(Exception):
    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
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
