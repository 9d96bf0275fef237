"""Holding a mapping to the ERP it writes to: every target exists, is writable, is not the connector's own,
and every constant, lookup value and length fits. Pure.

Run at start-up (``shared.flows.services.check_mappings``) and by ``connector mapping check``; a problem
stops start-up naming the file's line and the reason, so no order fails on it later.
"""

from __future__ import annotations

import difflib
import uuid
from datetime import date

from shared.mapping.schema import FieldType, Section, TargetField, TargetSchema
from shared.mapping.spec import FieldRule, MappingError, MappingProblem, MappingSpec

__all__ = ["check_mapping", "checked"]

_ISO_DATE = "%Y-%m-%d"
_DATE_SOURCES = frozenset({"created_at", "paid_at"})
_WRITABLE_TYPES = frozenset({FieldType.TEXT, FieldType.DATE, FieldType.GUID, FieldType.ENUM})


def _fits_type(value: str, target: TargetField) -> str:
    """Why the fixed ``value`` cannot be written to ``target`` ("" when it can)."""
    if target.max_length is not None and len(value) > target.max_length:
        return f"{value!r} has {len(value)} characters; {target.name} holds {target.max_length}"
    if target.type == FieldType.ENUM and target.enum and value not in target.enum:
        return f"{value!r} is not a value of {target.name} (one of: {', '.join(target.enum)})"
    if target.type == FieldType.GUID:
        try:
            uuid.UUID(value)
        except ValueError:
            return f"{value!r} is not an id (GUID), which {target.name} takes"
    if target.type == FieldType.DATE:
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{value!r} is not a date (YYYY-MM-DD), which {target.name} takes"
    return ""


def _rule_problems(
    spec: MappingSpec, section: Section, name: str, rule: FieldRule, schema: TargetSchema
) -> list[MappingProblem]:
    entity = schema.entity(section)
    at = spec.line_of(section, name)
    target = entity.fields.get(name)
    if target is None:
        close = difflib.get_close_matches(name, list(entity.fields), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return [MappingProblem(at, f"{entity.name} has no property {name!r}{hint}")]
    if not target.writable:
        return [MappingProblem(at, f"{name!r} on {entity.name} is read-only: the ERP computes it")]
    if target.owned:
        return [MappingProblem(at, f"{name!r} on {entity.name} is set by the connector ({target.owned})")]
    if target.unsupported:
        return [MappingProblem(at, f"{name!r} on {entity.name} is {target.unsupported}")]
    if target.type not in _WRITABLE_TYPES:
        return [
            MappingProblem(
                at, f"{name!r} on {entity.name} is {target.type.value}: a mapping writes text, ids and dates"
            )
        ]

    problems: list[MappingProblem] = []
    ops = [transform.op for transform in rule.transforms]
    lookup_ends = bool(ops) and ops[-1] == "lookup"
    reads_dates = set(rule.sources) <= _DATE_SOURCES
    if (
        target.type == FieldType.DATE
        and rule.const is None
        and "date" not in ops
        and not lookup_ends
        and not reads_dates
    ):
        problems.append(MappingProblem(at, f"{name!r} is a date: add a date transform (e.g. {{date: '%d/%m/%Y'}})"))
    if target.type == FieldType.DATE and any(t.op == "date" and t.output != _ISO_DATE for t in rule.transforms):
        problems.append(MappingProblem(at, f"{name!r} is a date: it takes YYYY-MM-DD (leave out the date's to)"))
    if rule.const is not None and not ops:
        problem = _fits_type(rule.const, target)
        if problem:
            problems.append(MappingProblem(spec.line_of(section, name, "const"), problem))
    if rule.default is not None and not ops:
        problem = _fits_type(rule.default, target)
        if problem:
            problems.append(MappingProblem(spec.line_of(section, name, "default"), problem))
    for index, transform in enumerate(rule.transforms):
        where = spec.line_of(section, name, "transforms", index)
        if (
            transform.op == "truncate"
            and transform.length
            and target.max_length
            and transform.length > target.max_length
        ):
            problems.append(
                MappingProblem(where, f"truncate to {transform.length} is longer than {name!r} ({target.max_length})")
            )
        if transform.op in ("prefix", "suffix") and target.max_length and len(transform.text) >= target.max_length:
            problems.append(
                MappingProblem(
                    where, f"{transform.op} {transform.text!r} leaves no room in {name!r} ({target.max_length})"
                )
            )
        if transform.op == "lookup" and index == len(rule.transforms) - 1:
            for key, value in spec.lookups.get(transform.table, {}).items():
                problem = _fits_type(value, target)
                if problem:
                    problems.append(
                        MappingProblem(
                            spec.line_of("lookups", transform.table, key), f"lookups.{transform.table}: {problem}"
                        )
                    )
            if transform.default is not None and (problem := _fits_type(transform.default, target)):
                problems.append(MappingProblem(where, f"lookup default: {problem}"))
    if target.type in (FieldType.ENUM, FieldType.GUID) and rule.const is None and not lookup_ends:
        problems.append(
            MappingProblem(at, f"{name!r} takes {target.type.value} values: end with a lookup, or use const")
        )
    return problems


def check_mapping(spec: MappingSpec, schema: TargetSchema) -> list[MappingProblem]:
    """Every problem of ``spec`` against ``schema``, in file order."""
    problems: list[MappingProblem] = []
    sections: tuple[Section, ...] = ("document", "line", "customer")
    for section in sections:
        for name, rule in getattr(spec, section).items():
            problems += _rule_problems(spec, section, name, rule, schema)
    if schema.no_comments:
        problems += [
            MappingProblem(spec.line_of("comments", index), f"comments: {schema.no_comments}")
            for index in range(len(spec.comments))
        ]
    return sorted(problems, key=lambda problem: problem.line)


def checked(spec: MappingSpec, schema: TargetSchema) -> MappingSpec:
    """``spec`` if it fits ``schema``, else :class:`MappingError` listing every problem with its line."""
    problems = check_mapping(spec, schema)
    if problems:
        raise MappingError(spec.source, problems)
    return spec
