"""Applying a mapping to an order: the ERP fields it adds. Pure (no I/O).

Each adapter's pure mapping calls these with its own :class:`~shared.mapping.schema.TargetSchema`:

- :func:`document_fields` — the header fields of the sales document;
- :func:`line_fields` — the fields of one item line;
- :func:`customer_fields` — the fields of a customer created for the order;
- :func:`comment_texts` — the free-text comments (each adapter splits them into its comment lines);
- :func:`status_action` — what the mapping says a Woo status does (post, cancel, ignore).

Values never exceed the target's length (a bare ``truncate`` cuts explicitly; anything longer is cut
to the target's length anyway), and a value a transform could not produce (a date that does not parse,
a lookup miss without a default) is left out, never a failed order: start-up already checked that the
mapping fits the ERP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.mapping.schema import Section, TargetSchema
from shared.mapping.spec import FieldRule, MappingSpec
from shared.mapping.transforms import Value, apply_transforms, finish
from shared.model import Address, Customer, Order, OrderLine

__all__ = [
    "comment_texts",
    "customer_fields",
    "document_fields",
    "line_fields",
    "mapped_fields",
    "source_value",
    "status_action",
]


def _meta_text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""  # structured plugin meta is not a checkout field
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _meta(entries: Any, key: str) -> str:
    for entry in entries:
        if entry.key == key:
            return _meta_text(entry.value)
    return ""


def _address(address: Address, name: str) -> str:
    if name == "full_name":
        return address.full_name
    return str(getattr(address, name, "") or "")


def _when(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else ""


@dataclass(frozen=True, slots=True)
class _Context:
    """What a rule can read: the order (none for a customer rule), its buyer, and the line of a line rule."""

    customer: Customer
    order: Order | None = None
    line: OrderLine | None = None


def source_value(order: Order | Customer, source: str, line: OrderLine | None = None) -> Value:
    """The Woo value a rule reads (``meta.<key>``, ``billing.city``, ``line.sku`` …) from an order, or
    from a buyer for customer rules (``customer.*``, ``billing.*``, ``meta.*`` only)."""
    if isinstance(order, Customer):
        return _value(_Context(order), source)
    return _value(_Context(order.customer, order, line), source)


def _value(context: _Context, source: str) -> Value:
    order, line = context.order, context.line
    if source.startswith("line."):
        if line is None:
            return None
        name = source.removeprefix("line.")
        if name.startswith("meta."):
            return _meta(line.meta, name.removeprefix("meta."))
        value = getattr(line, name, None)
        return "" if value is None else str(value)
    if source.startswith("meta."):
        return _meta(order.meta if order is not None else context.customer.meta, source.removeprefix("meta."))
    group, _, name = source.partition(".")
    if group == "billing" and name:
        return _address(order.billing if order is not None else context.customer.billing, name)
    if group == "customer" and name:
        if name == "full_name":
            return context.customer.full_name
        return str(getattr(context.customer, name, "") or "")
    if order is None:
        return None
    if group == "shipping" and name:
        return _address(order.shipping, name)
    if source == "shipping_method":
        return order.shipping_lines[0].method_id or "" if order.shipping_lines else ""
    if source == "shipping_method_title":
        return order.shipping_lines[0].name if order.shipping_lines else ""
    if source == "coupon_codes":
        return order.coupon_codes or None
    if source == "tax_classes":
        return tuple(dict.fromkeys(item.tax_class for item in order.lines if item.tax_class)) or None
    if source in ("created_at", "paid_at"):
        moment: datetime | None = getattr(order, source)
        return _when(moment)
    return str(getattr(order, source, "") or "")


def _resolve(rule: FieldRule, context: _Context) -> Value:
    if rule.const is not None:
        return rule.const
    joins = any(transform.op == "join" for transform in rule.transforms)
    values = [_value(context, source) for source in rule.sources]
    if joins:
        flat: list[str] = []
        for value in values:
            if isinstance(value, tuple):
                flat.extend(value)
            elif value and value.strip():
                flat.append(value)
        return tuple(flat) or (rule.default if rule.default is not None else None)
    for value in values:
        if isinstance(value, tuple) or (value and value.strip()):
            return value
    if rule.default is not None:
        return rule.default
    # One field present but empty (e.g. the standard tax class ""): a lookup may still list it.
    return "" if len(values) == 1 and values[0] == "" else None


def _apply(
    spec: MappingSpec,
    rules: Mapping[str, FieldRule],
    schema: TargetSchema,
    section: Section,
    context: _Context,
    notes: list[str] | None,
) -> dict[str, str]:
    entity = schema.entity(section)
    found: dict[str, str] = {}
    sink: list[str] = []
    for target, rule in rules.items():
        target_field = entity.fields.get(target)
        length = target_field.max_length if target_field else None
        value = apply_transforms(_resolve(rule, context), rule.transforms, spec.lookups, length, sink)
        text = finish(value, length)
        if text is not None:
            found[target] = text
        if notes is not None:
            notes.extend(f"{section}.{target}: {note}" for note in sink)
        sink.clear()
    return found


def mapped_fields(
    spec: MappingSpec,
    schema: TargetSchema,
    section: Section,
    order: Order | Customer,
    line: OrderLine | None = None,
    notes: list[str] | None = None,
) -> dict[str, str]:
    """The fields the mapping sets on ``section``'s entity for ``order`` (and ``line``; a customer rule
    gets the buyer, :class:`~shared.model.Customer`): the hook each adapter's pure mapping calls.
    ``notes`` collects values left out (unparseable date, lookup miss)."""
    rules: Mapping[str, FieldRule] = getattr(spec, section)
    context = _Context(order.customer, order, line) if isinstance(order, Order) else _Context(order)
    return _apply(spec, rules, schema, section, context, notes)


def document_fields(
    spec: MappingSpec, schema: TargetSchema, order: Order, notes: list[str] | None = None
) -> dict[str, str]:
    return mapped_fields(spec, schema, "document", order, None, notes)


def line_fields(
    spec: MappingSpec, schema: TargetSchema, order: Order, line: OrderLine, notes: list[str] | None = None
) -> dict[str, str]:
    return mapped_fields(spec, schema, "line", order, line, notes)


def customer_fields(
    spec: MappingSpec, schema: TargetSchema, customer: Customer, notes: list[str] | None = None
) -> dict[str, str]:
    """The fields of a customer created for this buyer (its checkout ``meta_data`` included)."""
    return mapped_fields(spec, schema, "customer", customer, None, notes)


def comment_texts(spec: MappingSpec, order: Order, notes: list[str] | None = None) -> list[str]:
    """The free-text comments, in file order (each adapter splits them into its own comment lines)."""
    texts: list[str] = []
    sink: list[str] = []
    for rule in spec.comments:
        value = apply_transforms(
            _resolve(rule, _Context(order.customer, order)), rule.transforms, spec.lookups, None, sink
        )
        text = finish(value, None)
        if text and text.strip():
            texts.append(text)
    if notes is not None:
        notes.extend(f"comments: {note}" for note in sink)
    return texts


def status_action(spec: MappingSpec | None, status: str) -> Literal["post", "cancel", "ignore"] | None:
    """What the mapping says ``status`` does; None when it has no status rules or does not list it."""
    if spec is None or spec.statuses is None:
        return None
    return spec.statuses.action(status)
