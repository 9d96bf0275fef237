"""WC_REST_Authentication over HTTPS: query-string keys first, then HTTP Basic; OAuth 1.0a is not emulated."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping

from sandbox.woo.errors import WooError
from sandbox.woo.models import ApiKey
from sandbox.woo.store import Store

REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the password'
    ' field."'
)


def _credentials(query: list[tuple[str, str]], headers: Mapping[str, str]) -> tuple[str, str] | None:
    params = dict(query)
    if params.get("consumer_key") and params.get("consumer_secret"):
        return params["consumer_key"], params["consumer_secret"]
    header = headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    return None


def authenticate(
    store: Store, method: str, scheme: str, query: list[tuple[str, str]], headers: Mapping[str, str]
) -> ApiKey | None:
    """The API key of the request, None when unauthenticated; raises for a bad secret or missing permission."""
    if scheme != "https":
        return None  # over plain HTTP WooCommerce only accepts OAuth 1.0a, which the sandbox does not speak
    creds = _credentials(query, headers)
    if creds is None:
        return None
    with store.lock:
        key = store.api_keys.get(creds[0])
    if key is None:
        return None  # an unknown key is not an error here: the request goes on unauthenticated
    if not hmac.compare_digest(key.consumer_secret.encode(), creds[1].encode()):
        err = WooError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
        err.headers["WWW-Authenticate"] = REALM
        raise err
    needed = "read" if method in ("GET", "HEAD", "OPTIONS") else "write"
    if needed not in key.permissions:
        raise WooError(
            401, "woocommerce_rest_authentication_error", f"The API key provided does not have {needed} permissions."
        )
    return key


def unauthenticated(method: str, template: str) -> WooError:
    """The permission-callback error a logged-out request gets (401)."""
    single = template.endswith("}")
    if template.endswith("/batch"):
        return WooError(
            401, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."
        )
    if method in ("GET", "HEAD"):
        message = "Sorry, you cannot view this resource." if single else "Sorry, you cannot list resources."
        return WooError(401, "woocommerce_rest_cannot_view", message)
    if method == "DELETE":
        return WooError(401, "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
    if single:
        return WooError(401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
    return WooError(401, "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources.")
