"""Wire formats of a WooCommerce store: money strings, PHP-ish numbers, naive dates, wp_json_encode."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "CAD": "$",
    "AUD": "$",
    "DKK": "kr.",
    "SEK": "kr",
    "NOK": "kr",
    "CHF": "CHF",
    "JPY": "¥",
    "PLN": "zł",
}


def to_dec(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def round_dp(value: Decimal, dp: int) -> Decimal:
    """PHP round(): half away from zero."""
    return value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def money(value: Any, dp: int = 2) -> str:
    """wc_format_decimal($v, $dp): a dp-formatted string ("29.35", "0.00")."""
    out = round_dp(to_dec(value), dp)
    if out == 0:
        out = abs(out)
    return f"{out:.{dp}f}"


def raw(value: Any) -> str:
    """A value stored unformatted, as PHP casts a float to string ("0.9", "30", "0.62125")."""
    d = to_dec(value)
    if d == 0:
        return "0"
    text = format(d.normalize(), "f")
    return text


def number(value: Any) -> int | float:
    """A JSON number as PHP emits it: an int when integral (3), else a float (13.5)."""
    d = to_dec(value)
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def site_tz(offset_hours: float) -> timezone:
    return timezone(timedelta(hours=offset_hours))


def wc_date(moment: datetime | None, tz: timezone) -> str | None:
    """Site-local naive timestamp (date_*)."""
    if moment is None:
        return None
    return moment.astimezone(tz).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")


def wc_date_gmt(moment: datetime | None) -> str | None:
    """UTC naive timestamp (date_*_gmt)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")


def wp_json_encode(payload: Any) -> bytes:
    """Compact JSON as PHP json_encode: `/` escaped as `\\/`, non-ASCII as \\uXXXX."""
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("/", "\\/").encode("ascii")


def wp_specialchars_decode(text: str) -> str:
    """wp_specialchars_decode($s, ENT_QUOTES) for the entities WordPress produces."""
    for entity, char in (
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", '"'),
        ("&#039;", "'"),
        ("&#39;", "'"),
        ("&#x27;", "'"),
    ):
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def wp_hash(data: str, salt: str) -> str:
    """wp_hash(): HMAC-MD5 with the site's auth salt, 32 hex chars."""
    return hmac.new(salt.encode(), data.encode(), hashlib.md5).hexdigest()
