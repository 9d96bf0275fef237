"""Values between the wire and the store: JSON out (`jsonable`), typed request values in (`coerce`),
stored values typed for comparison (`typed`)."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.odata.errors import PLAIN, Dialect
from sandbox.odata.schema import Schema, decode_enum, encode_enum
from sandbox.odata.store import parse_iso

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def coerce(value: Any, prop_type: str, schema: Schema, prop_name: str, dialect: Dialect = PLAIN) -> Any:
    """Convert a JSON value from a request body to the stored representation, with OData's errors
    (an enum value that is not a member: the dialect's `enum_message`)."""
    if value is None:
        return None
    members = schema.enum_members(prop_type)
    if members:
        if not isinstance(value, str) or encode_enum(value, members) is None:
            options = ",".join(decode_enum(m) for m in members)
            raise dialect.error(400, dialect.enum_error_code, dialect.enum_message.format(value=value, options=options))
        return encode_enum(value, members)
    try:
        if prop_type == "Edm.String":
            if not isinstance(value, str):
                raise ValueError
            return value
        if prop_type == "Edm.Guid":
            if not isinstance(value, str) or not GUID_RE.match(value):
                raise ValueError
            return value.lower()
        if prop_type == "Edm.Decimal":
            if isinstance(value, bool):
                raise ValueError
            return Decimal(str(value))
        if prop_type in ("Edm.Int32", "Edm.Int64"):
            if isinstance(value, bool) or int(value) != value:
                raise ValueError
            return int(value)
        if prop_type == "Edm.Boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if prop_type == "Edm.Date":
            datetime.strptime(str(value), "%Y-%m-%d")
            return str(value)
        if prop_type == "Edm.DateTimeOffset":
            parse_iso(str(value))
            return str(value)
    except (ValueError, InvalidOperation, TypeError) as exc:
        raise dialect.bad_request(
            f"Cannot convert the literal '{value}' to the expected type '{prop_type}' (property '{prop_name}')."
        ) from exc
    return value


def typed(value: Any, prop_type: str) -> Any:
    if value is None:
        return None
    if prop_type == "Edm.DateTimeOffset":
        return parse_iso(value) if isinstance(value, str) else value
    if prop_type == "Edm.Guid":
        return str(value).lower()
    if prop_type in ("Edm.Decimal", "Edm.Int32", "Edm.Int64"):
        return Decimal(value)
    return value
