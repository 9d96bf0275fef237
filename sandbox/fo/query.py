"""F&O's `$filter` on the shared engine (facts §1.3): enum literals must be type-qualified
(`Microsoft.Dynamics.DataEntities.SalesStatus'Backorder'`, eq/ne only; a bare string is rejected), wildcards in
`eq '*x*'` / `'x*'` / `'*x'` mean contains / starts-with / ends-with, and `has` / `in` are not supported."""

from __future__ import annotations

import re

from sandbox.fo import guesses
from sandbox.fo.errors import FO_DIALECT, bad_request
from sandbox.odata.query import Literal, Node, parse_filter
from sandbox.odata.schema import EntityType, Schema

_ENUM_LITERAL = re.compile(r"(?P<prop>[A-Za-z_]\w*)\s+(?P<op>\w+)\s+(?P<type>[A-Za-z_][\w.]*)'")
_UNSUPPORTED = re.compile(r"\s(has|in)\s", re.IGNORECASE)


def parse_fo_filter(text: str, etype: EntityType, schema: Schema) -> Node:
    if _UNSUPPORTED.search(f" {text} "):
        raise bad_request("The 'has' and 'in' operators are not supported.")
    for m in _ENUM_LITERAL.finditer(text):
        prop = etype.props.get(m.group("prop"))
        if prop is not None and m.group("type") != prop.type:
            raise bad_request(f"The enum literal type '{m.group('type')}' does not match '{prop.type}'.")
    node = parse_filter(text, etype, FO_DIALECT)
    return _rewrite(node, etype, schema)


def _rewrite(node: Node, etype: EntityType, schema: Schema) -> Node:
    if node.op in ("and", "or", "not"):
        return Node(node.op, [_rewrite(a, etype, schema) for a in node.args])
    if node.op == "func":  # F&O's way is the wildcard; the functions are not documented as supported
        raise bad_request(f"The function '{node.args[1]}' is not supported; use a wildcard in eq ('*text*').")
    name, op, lit = node.args
    prop = etype.props[name]
    if schema.enum_members(prop.type):
        if lit.kind == "string":
            raise bad_request(guesses.BARE_ENUM_MESSAGE.format(enum=prop.type))
        if op not in ("eq", "ne"):
            raise bad_request(f"The operator '{op}' is not supported on the enum property '{name}'.")
        if lit.kind == "enum" and lit.value not in (schema.enum_members(prop.type) or []):
            raise bad_request(f"The value '{lit.value}' is not a member of '{prop.type}'.")
        return node
    if lit.kind == "string" and "*" in lit.value and op in ("eq", "ne"):
        return _wildcard(name, op, lit.value)
    return node


def _wildcard(name: str, op: str, pattern: str) -> Node:
    inner = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
        func = "contains"
    elif pattern.endswith("*"):
        func = "startswith"
    else:
        func = "endswith"
    node = Node("func", [name, func, Literal("string", inner)])
    return node if op == "eq" else Node("not", [node])
