"""WooCommerce webhook signatures and pings (facts/woocommerce.md §1.4, §1.5). Pure, no I/O.

``X-WC-Webhook-Signature = base64(HMAC-SHA256(raw body, wp_specialchars_decode(secret, ENT_QUOTES)))``.
Always verify over the raw request bytes; never re-serialise parsed JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

__all__ = ["decode_secret", "is_ping", "looks_like_ping", "parse_ping", "sign", "verify_signature"]

# wp_specialchars_decode( $text, ENT_QUOTES ) (wp-includes/formatting.php): first normalise
# zero-padded / upper-case-X numeric forms of the handled entities, then translate them in one
# pass (PHP strtr: no double decoding, "&amp;lt;" becomes "&lt;"). Other entities stay as they are.
_NORMALISE = (
    (re.compile(r"&#0*39;"), "&#039;"),
    (re.compile(r"&#x0*27;", re.IGNORECASE), "&#x27;"),
    (re.compile(r"&#0*34;"), "&#034;"),
    (re.compile(r"&#x0*22;", re.IGNORECASE), "&#x22;"),
    (re.compile(r"&#0*60;"), "&#060;"),
    (re.compile(r"&#0*62;"), "&#062;"),
    (re.compile(r"&#0*38;"), "&#038;"),
    (re.compile(r"&#x0*26;", re.IGNORECASE), "&#x26;"),
)
_TRANSLATE = {
    "&#039;": "'",
    "&#x27;": "'",
    "&quot;": '"',
    "&#034;": '"',
    "&#x22;": '"',
    "&lt;": "<",
    "&#060;": "<",
    "&gt;": ">",
    "&#062;": ">",
    "&amp;": "&",
    "&#038;": "&",
    "&#x26;": "&",
}
_TRANSLATE_RE = re.compile("|".join(re.escape(key) for key in sorted(_TRANSLATE, key=len, reverse=True)))

_PING_RE = re.compile(rb"\Awebhook_id=(\d+)\s*\Z")
# A webhook id is a `wc_webhooks.webhook_id`, a MySQL BIGINT UNSIGNED: at most 20 digits. Longer digit
# strings are never parsed (int() refuses more than 4,300 digits, and no store has such an id).
MAX_WEBHOOK_ID = 2**64 - 1


def decode_secret(secret: str) -> str:
    """Decode the secret like WordPress's ``wp_specialchars_decode($secret, ENT_QUOTES)``."""
    if "&" not in secret:
        return secret
    for pattern, replacement in _NORMALISE:
        secret = pattern.sub(replacement, secret)
    return _TRANSLATE_RE.sub(lambda match: _TRANSLATE[match.group(0)], secret)


def sign(secret: str, body: bytes) -> str:
    """The ``X-WC-Webhook-Signature`` value WooCommerce sends for ``body`` (base64 with padding)."""
    key = decode_secret(secret).encode("utf-8")
    digest = hmac.new(key, body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret``. Never raises.

    The comparison is constant-time. An empty secret never verifies (a missing configuration
    must not accept unsigned traffic). Surrounding whitespace in the header is ignored.
    """
    try:
        if not secret or not header or not isinstance(header, str):
            return False
        candidate = header.strip().encode("ascii")
        expected = sign(secret, bytes(body)).encode("ascii")
        return hmac.compare_digest(expected, candidate)
    except Exception:
        return False


def looks_like_ping(body: bytes) -> bool:
    """True for a body of the ping's form ``webhook_id=<digits>``, whatever the number."""
    return _PING_RE.match(body) is not None


def parse_ping(body: bytes) -> int | None:
    """The webhook id of a ping body ``webhook_id=<n>``, or None when ``body`` is not a ping a store sends.

    Never raises: an id beyond a store's range (``MAX_WEBHOOK_ID``, checked before converting) is None.
    """
    match = _PING_RE.match(body)
    if match is None:
        return None
    digits = match.group(1).lstrip(b"0") or b"0"
    if len(digits) > len(str(MAX_WEBHOOK_ID)):
        return None
    webhook_id = int(digits)
    return webhook_id if webhook_id <= MAX_WEBHOOK_ID else None


def is_ping(body: bytes) -> bool:
    """True for the unsigned form-encoded ping WooCommerce sends when a webhook is saved."""
    return parse_ping(body) is not None
