"""Function keys, as the host checks them for FUNCTION and ADMIN auth levels.

Keys come from the `SANDBOX_MASTER_KEY` / `SANDBOX_FUNCTION_KEY` settings, or else from a keys file
(`.sandbox/host-keys.json`), created with random keys on first use. A request gives a key in the `code`
query parameter or the `x-functions-key` header.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostKeys:
    master: str
    function: str

    @classmethod
    def load(cls, path: Path) -> HostKeys:
        master = os.environ.get("SANDBOX_MASTER_KEY")
        function = os.environ.get("SANDBOX_FUNCTION_KEY")
        if master and function:
            return cls(master, function)
        if path.exists():
            stored = json.loads(path.read_text())
            return cls(master or stored["masterKey"], function or stored["functionKeys"]["default"])
        keys = cls(master or secrets.token_urlsafe(32), function or secrets.token_urlsafe(32))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"masterKey": keys.master, "functionKeys": {"default": keys.function}}))
        return keys

    def allows(self, auth_level: str, presented: str | None) -> bool:
        level = auth_level.upper()
        if level == "ANONYMOUS":
            return True
        if not presented:
            return False
        if secrets.compare_digest(presented, self.master):
            return True
        return level == "FUNCTION" and secrets.compare_digest(presented, self.function)
