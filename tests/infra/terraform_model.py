"""The Terraform module (infra/terraform/*.tf) parsed with python-hcl2, and what the tests read from it.

python-hcl2 is a parser, not Terraform: string literals keep their quotes ("\\"FC1\\""), expressions come out
as "${...}" text, heredocs as '"<<-KQL ... KQL"'. These helpers undo exactly that and nothing more.
"""

from __future__ import annotations

import re
import textwrap
from functools import cached_property
from pathlib import Path
from typing import Any

import hcl2
from bicep_model import INFRA

TERRAFORM = INFRA / "terraform"


def unquote(value: Any) -> Any:
    """'"text"' -> 'text'; a heredoc -> its dedented body; anything else unchanged."""
    if not isinstance(value, str):
        return value
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        heredoc = re.match(r"<<-?(\w+)\n(.*)\n\s*\1$", inner, re.DOTALL)
        if heredoc:
            return textwrap.dedent(heredoc[2])
        return inner.replace('\\"', '"')
    return value


def expression(value: Any) -> str | None:
    """'${a.b}' -> 'a.b' for a bare expression, else None."""
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return None


class Terraform:
    def __init__(self, folder: Path = TERRAFORM) -> None:
        self.folder = folder
        self.docs = {path.name: hcl2.load(path.open()) for path in sorted(folder.glob("*.tf"))}

    def blocks(self, kind: str) -> list[Any]:
        return [block for doc in self.docs.values() for block in doc.get(kind, [])]

    @cached_property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.blocks("locals"):
            for key, value in block.items():
                if key.startswith("__"):
                    continue
                assert key not in merged, f"local {key} defined twice"
                merged[key] = value
        return merged

    @cached_property
    def variables(self) -> dict[str, dict[str, Any]]:
        return {unquote(name): body for block in self.blocks("variable") for name, body in block.items()}

    @cached_property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {unquote(name): body for block in self.blocks("output") for name, body in block.items()}

    @cached_property
    def resources(self) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for block in self.blocks("resource"):
            for rtype, named in block.items():
                for name, body in named.items():
                    found[(unquote(rtype), unquote(name))] = body
        return found

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        return self.resources[(rtype, name)]

    def of_type(self, rtype: str) -> dict[str, dict[str, Any]]:
        return {name: body for (t, name), body in self.resources.items() if t == rtype}

    def local_list(self, name: str) -> list[str]:
        return [unquote(v) for v in self.locals[name]]

    def local_map(self, name: str) -> dict[str, Any]:
        return {key: unquote(value) for key, value in self.locals[name].items()}

    @cached_property
    def text(self) -> str:
        return "\n".join(path.read_text() for path in sorted(self.folder.glob("*.tf")))
