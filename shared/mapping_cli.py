"""``connector mapping check``: hold each ERP connection's mapping file to its ERP before it is deployed.

Reads the settings (environment, or ``--settings local.settings.json``) for the connections and their
``BC_MAPPING_FILE`` / ``ERPS__<connection>__MAPPING_FILE``; ``--file`` checks another file instead (one
connection: ``--erp``, or the only one). No storage and no ERP call is needed. Exit status 1 when any
mapping has a problem, each printed as ``file:line: reason``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from shared.config import ConfigError, load_settings
from shared.flows.services import connection_mapping, mapping_setting
from shared.mapping.spec import MappingError, MappingSpec

__all__ = ["cmd_mapping", "register"]


def _summary(spec: MappingSpec) -> str:
    parts = [
        f"{len(spec.document)} document, {len(spec.line)} line, {len(spec.customer)} customer field(s)",
        f"{len(spec.comments)} comment(s)",
        f"lookups: {', '.join(sorted(spec.lookups)) or 'none'}",
    ]
    if spec.statuses is not None:
        parts.append(f"posts: {', '.join(spec.statuses.post)}")
    return "; ".join(parts)


def cmd_mapping(args: argparse.Namespace, out: Console, err: Console) -> int:
    settings = load_settings()
    connections = list(settings.connections())
    if args.erp:
        settings.connection(args.erp)  # an unknown connection is a ConfigError naming the known ones
        connections = [args.erp.lower()]
    if args.file and len(connections) != 1:
        raise ConfigError("--file checks one connection's mapping: name it with --erp")
    if args.file:
        args.file = str(Path(args.file).expanduser().resolve())  # --file is relative to where the command runs
    results: list[dict[str, Any]] = []
    for connection_id in connections:
        file = args.file or settings.connection(connection_id).mapping_file
        where = file or "(the default mapping)"
        try:
            spec = connection_mapping(settings, connection_id, args.file)
        except MappingError as exc:
            problems = [f"{exc.source}:{problem.line}: {problem.reason}" for problem in exc.problems]
            results.append({"connection": connection_id, "file": where, "ok": False, "problems": problems})
            continue
        results.append({"connection": connection_id, "file": where, "ok": True, "summary": _summary(spec)})
    if args.json:
        out.print_json(data=results)
    else:
        for result in results:
            setting = mapping_setting(settings, result["connection"])
            if result["ok"]:
                out.print(Text(f"{result['connection']}: {result['file']} fits ({result['summary']})"), soft_wrap=True)
            else:
                out.print(
                    Text(f"{result['connection']}: {result['file']} ({setting}) does not fit:", style="red"),
                    soft_wrap=True,
                )
                for problem in result["problems"]:
                    out.print(Text(f"  {problem}"), soft_wrap=True)
    return 0 if all(result["ok"] for result in results) else 1


def register(add: Callable[[str, Any, str], argparse.ArgumentParser]) -> None:
    """Add ``mapping check`` to the CLI's commands."""
    mapping = add("mapping", cmd_mapping, "check each ERP connection's mapping file against its ERP")
    mapping.add_argument("action", choices=["check"], help="check: every target exists, is writable and fits")
    mapping.add_argument("--erp", metavar="CONNECTION", help="one ERP connection (default: all)")
    mapping.add_argument("--file", metavar="PATH", help="check this file instead of the connection's setting")
