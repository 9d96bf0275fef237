"""The mapping file: its model, and reading it from YAML with the line of every entry.

One file per ERP connection (``BC_MAPPING_FILE`` / ``ERPS__<connection>__MAPPING_FILE``); the README's
"Mapping your own fields" describes the format. :func:`parse_mapping` is pure (text in, model out);
:func:`load_mapping` reads the file. A problem is a :class:`MappingError` listing each
``file:line: reason``, so a broken mapping stops start-up saying where and why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

__all__ = [
    "LINE_SOURCES",
    "ORDER_SOURCES",
    "FieldRule",
    "MappingError",
    "MappingProblem",
    "MappingSpec",
    "StatusRules",
    "Transform",
    "load_mapping",
    "parse_mapping",
]

_STRICT = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "company",
    "address_1",
    "address_2",
    "city",
    "state",
    "postcode",
    "country",
    "email",
    "phone",
)
ORDER_SOURCES = frozenset(
    {
        "number",
        "status",
        "currency",
        "customer_note",
        "payment_method",
        "payment_method_title",
        "transaction_id",
        "created_at",
        "paid_at",
        "shipping_method",
        "shipping_method_title",
        "coupon_codes",
        "tax_classes",
        *(f"billing.{name}" for name in ADDRESS_FIELDS),
        *(f"shipping.{name}" for name in ADDRESS_FIELDS),
        *(f"customer.{name}" for name in ("email", "phone", "first_name", "last_name", "full_name", "company")),
    }
)
"""Woo order fields a rule can read (besides ``meta.<key>``: the order's ``meta_data``)."""

LINE_SOURCES = frozenset({"line.name", "line.sku", "line.tax_class", "line.product_id", "line.variation_id"})
"""Woo line-item fields a ``line`` rule can read (besides ``line.meta.<key>``)."""

TransformName = Literal["trim", "upper", "lower", "truncate", "date", "lookup", "join", "prefix", "suffix"]
_BARE = frozenset({"trim", "upper", "lower", "truncate"})
_ISO_DATE = "%Y-%m-%d"
_STRFTIME = re.compile(r"%[a-zA-Z]")


@dataclass(frozen=True, slots=True)
class MappingProblem:
    line: int
    reason: str


class MappingError(ValueError):
    """The mapping cannot be used; each problem names its line in the file."""

    def __init__(self, source: str, problems: Sequence[MappingProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{source}:{p.line}: {p.reason}" for p in self.problems))


class Transform(BaseModel):
    """One step applied to a value: ``trim`` or ``{truncate: 20}`` in the file."""

    model_config = _STRICT

    op: TransformName
    length: int | None = Field(default=None, ge=1)
    """truncate: the length (none: the target field's length)."""
    formats: tuple[str, ...] = ()
    """date: the formats the Woo value may have (strptime), tried in order."""
    output: str = _ISO_DATE
    """date: the format written (ISO 8601 date by default, what OData ``Edm.Date`` takes)."""
    table: str = ""
    """lookup: the name of a table under ``lookups``."""
    default: str | None = None
    """lookup: the value for a Woo value the table does not list (none: the field is left out)."""
    text: str = ""
    """join: the separator; prefix / suffix: the text."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in _BARE:
                raise ValueError(f"unknown transform {value!r} (or it needs an argument, e.g. {{{value}: …}})")
            return {"op": value}
        if not isinstance(value, Mapping) or len(value) != 1 or "op" in value:
            raise ValueError("a transform is a name (trim) or one name with its argument ({truncate: 20})")
        ((op, arg),) = value.items()
        if op == "truncate":
            return {"op": op, "length": arg}
        if op == "date":
            if isinstance(arg, Mapping):
                fmt = arg.get("from", ())
                extra = {k: v for k, v in arg.items() if k not in ("from", "to")}
                if extra:
                    raise ValueError(f"date takes from and to, not {', '.join(map(str, extra))}")
                return {"op": op, "formats": [fmt] if isinstance(fmt, str) else fmt, "output": arg.get("to", _ISO_DATE)}
            return {"op": op, "formats": [arg] if isinstance(arg, str) else arg}
        if op == "lookup":
            if isinstance(arg, Mapping):
                extra = {k: v for k, v in arg.items() if k not in ("table", "default")}
                if extra:
                    raise ValueError(f"lookup takes table and default, not {', '.join(map(str, extra))}")
                return {"op": op, "table": arg.get("table", ""), "default": arg.get("default")}
            return {"op": op, "table": arg}
        if op in ("join", "prefix", "suffix"):
            if not isinstance(arg, str):
                raise ValueError(f"{op} takes a text")
            return {"op": op, "text": arg}
        if op in _BARE:
            raise ValueError(f"{op} takes no argument")
        raise ValueError(f"unknown transform {op!r}")

    @model_validator(mode="after")
    def _complete(self) -> Transform:
        if self.op == "date":
            if not self.formats:
                raise ValueError("date needs the format of the Woo value, e.g. {date: '%d/%m/%Y'}")
            for fmt in (*self.formats, self.output):
                if not _STRFTIME.search(fmt):
                    raise ValueError(f"{fmt!r} is not a date format (strftime codes such as %d/%m/%Y)")
        if self.op == "lookup" and not self.table:
            raise ValueError("lookup needs the name of a table under lookups")
        return self


class FieldRule(BaseModel):
    """Where one ERP field (or comment) gets its value: Woo fields, or a constant, then transforms.

    Several ``from`` fields: the first that is not empty, or all of them joined by a ``join`` transform.
    """

    model_config = _STRICT

    sources: tuple[str, ...] = Field(default=(), alias="from")
    const: str | None = None
    transforms: tuple[Transform, ...] = ()
    default: str | None = None
    """The value when every source is empty (before the transforms)."""

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("const", "default", mode="before")
    @classmethod
    def _scalar_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _one_origin(self) -> FieldRule:
        if bool(self.sources) == (self.const is not None):
            raise ValueError("give either from (Woo fields) or const (a constant)")
        return self


class StatusRules(BaseModel):
    """Which Woo order statuses post the order, cancel its ERP document, or are ignored."""

    model_config = _STRICT

    post: tuple[str, ...] = Field(min_length=1)
    cancel: tuple[str, ...] = ("cancelled",)
    ignore: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _disjoint(self) -> StatusRules:
        seen: dict[str, str] = {}
        for action in ("post", "cancel", "ignore"):
            for status in getattr(self, action):
                if status in seen:
                    raise ValueError(f"status {status!r} is under both {seen[status]} and {action}")
                seen[status] = action
        return self

    def action(self, status: str) -> Literal["post", "cancel", "ignore"] | None:
        """What the mapping says about ``status`` (None: it does not say; the connector's usual handling)."""
        if status in self.post:
            return "post"
        if status in self.cancel:
            return "cancel"
        if status in self.ignore:
            return "ignore"
        return None


class MappingSpec(BaseModel):
    """One connection's mapping file."""

    model_config = _STRICT

    version: Literal[1] = 1
    statuses: StatusRules | None = None
    lookups: dict[str, dict[str, str]] = Field(default_factory=dict)
    document: dict[str, FieldRule] = Field(default_factory=dict)
    line: dict[str, FieldRule] = Field(default_factory=dict)
    customer: dict[str, FieldRule] = Field(default_factory=dict)
    comments: tuple[FieldRule, ...] = ()

    _source: str = PrivateAttr(default="mapping")
    _lines: dict[tuple[str | int, ...], int] = PrivateAttr(default_factory=dict)

    @field_validator("lookups", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        """YAML reads ``1: X`` or ``yes: Y`` as numbers and booleans; Woo values are text."""
        if not isinstance(value, Mapping):
            return value
        return {
            str(name): ({_text(k): _text(v) for k, v in table.items()} if isinstance(table, Mapping) else table)
            for name, table in value.items()
        }

    @property
    def source(self) -> str:
        return self._source

    def rules(self) -> list[tuple[str, dict[str | int, FieldRule]]]:
        """Each section's rules by target field (comments by their position)."""
        sections: list[tuple[str, dict[str | int, FieldRule]]] = [
            (name, {**getattr(self, name)}) for name in ("document", "line", "customer")
        ]
        sections.append(("comments", dict(enumerate(self.comments))))
        return sections

    def line_of(self, *path: str | int) -> int:
        """The file line of ``path`` (or of its nearest enclosing entry)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self._lines:
                return self._lines[path[:end]]
        return 1


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


CUSTOMER_SOURCES = frozenset(
    {f"billing.{name}" for name in ADDRESS_FIELDS}
    | {f"customer.{name}" for name in ("email", "phone", "first_name", "last_name", "full_name", "company")}
)
"""What a ``customer`` rule can read: the buyer, the billing address, and ``meta.<key>`` of the checkout."""


def source_problem(source: str, in_line: bool, in_customer: bool = False) -> str:
    """Why ``source`` is not a Woo field a rule can read ("" when it is)."""
    if in_customer and not source.startswith("meta.") and source not in CUSTOMER_SOURCES:
        known = ", ".join(sorted(CUSTOMER_SOURCES))
        return f"a customer rule reads the buyer only: meta.<key> or one of {known}, not {source!r}"
    if source.startswith("meta.") and len(source) > len("meta."):
        return ""
    if source.startswith("line."):
        if not in_line:
            return f"{source!r} is a line field; only line rules can read it"
        if source in LINE_SOURCES or (source.startswith("line.meta.") and len(source) > len("line.meta.")):
            return ""
    elif source in ORDER_SOURCES:
        return ""
    known = ", ".join(sorted(ORDER_SOURCES | (LINE_SOURCES if in_line else frozenset())))
    return f"unknown Woo field {source!r} (meta.<key> for meta_data; known: {known})"


# ------------------------------------------------------------------------------------------- YAML


def _record_lines(node: yaml.Node, path: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]) -> list[str]:
    """Every mapping key and sequence item's line (1-based); returns duplicate keys found."""
    duplicates: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                duplicates.append(f"{key_node.start_mark.line + 1}: {key!r} is given twice")
            seen.add(key)
            out[(*path, key)] = key_node.start_mark.line + 1
            duplicates += _record_lines(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            out[(*path, index)] = item.start_mark.line + 1
            duplicates += _record_lines(item, (*path, index), out)
    return duplicates


def parse_mapping(text: str, source: str = "mapping") -> MappingSpec:
    """The mapping in ``text`` (YAML), or :class:`MappingError` naming each problem's line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise MappingError(source, [MappingProblem(line, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    finally:
        loader.dispose()
    lines: dict[tuple[str | int, ...], int] = {}
    duplicates = _record_lines(node, (), lines) if node is not None else []
    if duplicates:
        problems = [MappingProblem(int(text.split(":", 1)[0]), text.split(": ", 1)[1]) for text in duplicates]
        raise MappingError(source, problems)
    if not isinstance(data, dict):
        raise MappingError(source, [MappingProblem(1, "the mapping file must be a YAML mapping (key: value)")])
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
            where = ".".join(str(part) for part in loc)
            message = str(error["msg"]).removeprefix("Value error, ")
            line = _line_for(lines, loc)
            problems.append(MappingProblem(line, f"{where}: {message}" if where else message))
        raise MappingError(source, problems) from None
    spec._source = source
    spec._lines = lines
    problems = structure_problems(spec)
    if problems:
        raise MappingError(source, problems)
    return spec


def structure_problems(spec: MappingSpec) -> list[MappingProblem]:
    """Sources that are no Woo field, lookups of tables the file does not have (whatever the ERP)."""
    problems: list[MappingProblem] = []
    for section, rules in spec.rules():
        for target, rule in rules.items():
            for index, source in enumerate(rule.sources):
                problem = source_problem(source, section == "line", section == "customer")
                if problem:
                    problems.append(MappingProblem(spec.line_of(section, target, "from", index), problem))
            for index, transform in enumerate(rule.transforms):
                if transform.op == "lookup" and transform.table not in spec.lookups:
                    problems.append(
                        MappingProblem(
                            spec.line_of(section, target, "transforms", index),
                            f"lookup table {transform.table!r} is not under lookups",
                        )
                    )
    return problems


def _line_for(lines: Mapping[tuple[str | int, ...], int], loc: tuple[str | int, ...]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def load_mapping(path: str | Path) -> MappingSpec:
    """Read and parse a mapping file (an unreadable file is a :class:`MappingError` too)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(str(file), [MappingProblem(1, f"cannot read the file: {exc.strerror or exc}")]) from None
    return parse_mapping(text, str(file))
