"""OData query options: $filter (parsed, type-checked against the entity type, evaluated), $orderby,
$select and $expand. What an ERP words or limits differently comes from its `Dialect`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.odata.errors import PLAIN, Dialect
from sandbox.odata.schema import EntityType, Schema, encode_enum
from sandbox.odata.store import Record, parse_iso
from sandbox.odata.values import typed

_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<enum>[A-Za-z_][\w.]*'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<ident>[A-Za-z_][\w./]*)
  | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)

COMPARISONS = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
FUNCTIONS = ("startswith", "endswith", "contains")


@dataclass(frozen=True)
class Literal:
    kind: str  # string | number | guid | datetime | date | bool | null | enum
    value: Any

    @property
    def edm(self) -> str:
        return {
            "string": "Edm.String",
            "number": "Edm.Int32" if isinstance(self.value, int) else "Edm.Decimal",
            "guid": "Edm.Guid",
            "datetime": "Edm.DateTimeOffset",
            "date": "Edm.Date",
            "bool": "Edm.Boolean",
            "null": "null",
            "enum": "Edm.Enum",
        }[self.kind]


@dataclass
class Node:
    op: str  # and | or | not | cmp | func
    args: list[Any] = field(default_factory=list)

    def fields(self) -> set[str]:
        if self.op in ("cmp", "func"):
            return {self.args[0]}
        out: set[str] = set()
        for arg in self.args:
            out |= arg.fields()
        return out


def _tokenize(text: str, dialect: Dialect) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise dialect.bad_request(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


class _Parser:
    def __init__(self, text: str, dialect: Dialect) -> None:
        self.text = text
        self.dialect = dialect
        self.tokens = _tokenize(text, dialect)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.dialect.bad_request(f"Syntax error: unexpected end of '{self.text}'.")
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        _kind, text = self.take()
        if text != value:
            raise self.dialect.bad_request(f"Syntax error: expected '{value}' but found '{text}' in '{self.text}'.")

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "ident" and tok[1] == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise self.dialect.bad_request(f"Syntax error at '{self.peek()[1]}' in '{self.text}'.")  # type: ignore[index]
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Node("or", parts)

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Node("and", parts)

    def unary(self) -> Node:
        if self.keyword("not"):
            return Node("not", [self.unary()])
        tok = self.peek()
        if tok and tok[1] == "(":
            self.take()
            node = self.or_expr()
            self.expect(")")
            return node
        kind, name = self.take()
        if kind != "ident":
            raise self.dialect.bad_request(f"Syntax error: a property name was expected instead of '{name}'.")
        if name in FUNCTIONS:
            self.expect("(")
            _, prop = self.take()
            self.expect(",")
            lit = self.literal()
            self.expect(")")
            node = Node("func", [prop, name, lit])
            if self.keyword("eq"):  # e.g. startswith(name,'x') eq true
                flag = self.literal()
                return node if flag.value is True else Node("not", [node])
            return node
        op_tok = self.take()
        if op_tok[1] not in COMPARISONS:
            raise self.dialect.bad_request(f"Syntax error: unknown operator '{op_tok[1]}' in '{self.text}'.")
        return Node("cmp", [name, op_tok[1], self.literal()])

    def literal(self) -> Literal:
        kind, text = self.take()
        if kind == "string":
            return Literal("string", text[1:-1].replace("''", "'"))
        if kind == "enum":
            quote = text.index("'")
            return Literal("enum", text[quote + 1 : -1].replace("''", "'"))
        if kind == "guid":
            return Literal("guid", text.lower())
        if kind == "datetime":
            return Literal("datetime", parse_iso(text))
        if kind == "date":
            return Literal("date", text)
        if kind == "number":
            raw = text.rstrip("mMdDfFlL")
            if re.fullmatch(r"-?\d+", raw):
                return Literal("number", int(raw))
            return Literal("number", Decimal(raw))
        if kind == "ident" and text in ("true", "false"):
            return Literal("bool", text == "true")
        if kind == "ident" and text == "null":
            return Literal("null", None)
        raise self.dialect.bad_request(f"Syntax error: '{text}' is not a valid literal.")


def parse_filter(text: str, etype: EntityType, dialect: Dialect = PLAIN) -> Node:
    node = _Parser(text, dialect).parse()
    _check(node, etype, dialect)
    return node


def _check(node: Node, etype: EntityType, dialect: Dialect) -> None:
    # BC turns a filter into per-field AL filters, so OR can only combine values of one field.
    if dialect.or_one_field_only and node.op == "or" and len(node.fields()) > 1:
        raise dialect.bad_request("The 'OR' operator is not supported on distinct fields.")
    if node.op in ("and", "or", "not"):
        for arg in node.args:
            _check(arg, etype, dialect)
        return
    prop_name = node.args[0]
    prop = etype.props.get(prop_name)
    if prop is None:
        raise dialect.bad_request(f"Could not find a property named '{prop_name}' on type '{etype.qualified}'.")
    lit: Literal = node.args[2]
    if node.op == "func":
        if prop.type != "Edm.String" or lit.kind != "string":
            raise dialect.bad_request(f"No function signature for the function with name '{node.args[1]}' matches.")
        return
    if lit.kind == "null" or _compatible(prop.type, lit):
        return
    raise dialect.bad_request(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{prop.type}' and '{lit.edm}' for operator kind '{COMPARISONS[node.args[1]]}'."
    )


def _compatible(prop_type: str, lit: Literal) -> bool:
    if prop_type == "Edm.String":
        return lit.kind == "string"
    if prop_type == "Edm.Guid":
        return lit.kind == "guid"
    if prop_type in ("Edm.Decimal", "Edm.Int32", "Edm.Int64", "Edm.Double"):
        return lit.kind == "number"
    if prop_type == "Edm.Boolean":
        return lit.kind == "bool"
    if prop_type == "Edm.DateTimeOffset":
        return lit.kind in ("datetime", "date")
    if prop_type == "Edm.Date":
        return lit.kind == "date"
    return lit.kind in ("string", "enum")  # enums accept 'Value' and Microsoft.NAV.type'Value'


def _literal_value(lit: Literal, prop_type: str, schema: Schema) -> Any:
    if lit.kind in ("string", "enum"):
        members = schema.enum_members(prop_type)
        if members:
            return encode_enum(lit.value, members) or lit.value
        return lit.value
    if lit.kind == "date" and prop_type == "Edm.DateTimeOffset":
        return parse_iso(lit.value)
    if lit.kind == "number":
        return Decimal(lit.value)
    return lit.value


def evaluate(node: Node, record: Record, etype: EntityType, schema: Schema) -> bool:
    if node.op == "and":
        return all(evaluate(a, record, etype, schema) for a in node.args)
    if node.op == "or":
        return any(evaluate(a, record, etype, schema) for a in node.args)
    if node.op == "not":
        return not evaluate(node.args[0], record, etype, schema)
    prop = etype.props[node.args[0]]
    value = typed(record.get(prop.name), prop.type)
    if node.op == "func":
        needle, hay = node.args[2].value.lower(), str(value or "").lower()
        return {
            "startswith": hay.startswith,
            "endswith": hay.endswith,
            "contains": hay.__contains__,
        }[node.args[1]](needle)
    op, lit = node.args[1], node.args[2]
    other = _literal_value(lit, prop.type, schema)
    if op == "eq":
        return bool(value == other)
    if op == "ne":
        return bool(value != other)
    if value is None or other is None:
        return False
    try:
        return {
            "gt": value > other,
            "ge": value >= other,
            "lt": value < other,
            "le": value <= other,
        }[op]
    except TypeError:
        return False


# ---- $orderby / $select / $expand -------------------------------------------------------------


def parse_orderby(text: str, etype: EntityType, dialect: Dialect = PLAIN) -> list[tuple[str, bool]]:
    out = []
    for part in text.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        if bits[0] not in etype.props:
            raise dialect.bad_request(f"Could not find a property named '{bits[0]}' on type '{etype.qualified}'.")
        out.append((bits[0], len(bits) > 1 and bits[1].lower() == "desc"))
    return out


def sort_records(records: list[Record], keys: list[tuple[str, bool]], etype: EntityType) -> list[Record]:
    result = sorted(records, key=lambda r: str(r.get("id", "")))
    for name, desc in reversed(keys):
        prop_type = etype.props[name].type

        def key(r: Record, name: str = name, prop_type: str = prop_type) -> tuple[int, Any]:
            v = typed(r.get(name), prop_type)
            return (0, "") if v is None else (1, v)

        result.sort(key=key, reverse=desc)
    return result


def parse_select(text: str, etype: EntityType, dialect: Dialect = PLAIN) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in etype.props and name not in etype.navs:
            raise dialect.bad_request(f"Could not find a property named '{name}' on type '{etype.qualified}'.")
    return names


def split_top_level(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text: str) -> dict[str, dict[str, str]]:
    """`salesOrderLines($select=a,b;$filter=x eq 1),customer` -> {nav: {option: value}}."""
    out: dict[str, dict[str, str]] = {}
    for part in split_top_level(text, ","):
        name, _, rest = part.partition("(")
        options: dict[str, str] = {}
        if rest:
            for opt in split_top_level(rest.rstrip(")"), ";"):
                key, _, value = opt.partition("=")
                options[key.strip()] = value.strip()
        out[name.strip()] = options
    return out
