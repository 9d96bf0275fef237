"""Index a function app the way the Python worker does, into specs the host can run."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func

from sandbox.host.config import resolve_expression


@dataclass(frozen=True)
class Binding:
    name: str
    type: str
    direction: str
    raw: dict[str, Any]


@dataclass
class FunctionSpec:
    name: str
    user_function: Any
    trigger: Binding
    outputs: list[Binding] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.trigger.type

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.user_function)

    def setting(self, key: str, default: Any = None) -> Any:
        value = self.trigger.raw.get(key, default)
        return resolve_expression(value) if isinstance(value, str) else value


def load_app(app_dir: Path, module: str = "function_app") -> func.FunctionApp:
    """Import `module` from `app_dir` and return its one top-level FunctionApp (as the worker requires)."""
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    loaded = importlib.import_module(module)
    apps = [value for value in vars(loaded).values() if isinstance(value, func.FunctionRegister)]
    if len(apps) != 1:
        raise ValueError(f"{module}.py must define exactly one FunctionApp at top level, found {len(apps)}")
    return apps[0]  # type: ignore[return-value]


def index_functions(app: func.FunctionApp) -> list[FunctionSpec]:
    specs = []
    for function in app.get_functions():
        bindings = [json.loads(raw) for raw in function.get_raw_bindings()]
        parsed = [Binding(b["name"], b["type"], b["direction"].upper(), b) for b in bindings]
        trigger = next(b for b in parsed if b.type.endswith("Trigger"))
        outputs = [b for b in parsed if b.direction == "OUT" and b.name != "$return"]
        name = function.get_function_name() or function.get_user_function().__name__
        specs.append(FunctionSpec(name, function.get_user_function(), trigger, outputs))
    return specs
