"""Optimistic concurrency: a write's `If-Match` against the record's current ETag."""

from __future__ import annotations

from sandbox.odata.errors import PLAIN, Dialect


def check_if_match(given: str | None, current: str, *, required: bool, dialect: Dialect = PLAIN) -> None:
    """`*` or the current ETag passes; another ETag is a conflict; none passes unless required."""
    if given is None:
        if required:
            raise dialect.error(*dialect.if_match_missing)
        return
    if given.strip() != "*" and given.strip() != current:
        raise dialect.error(*dialect.if_match_stale)
