"""Index function_app.py with azure-functions-runtime the way the Python ≥ 3.13 worker does.

Run with the Python 3.13 venv (.venv313): prints one JSON line per function, or fails with the
runtime's own FunctionLoadError. Catches parameter/binding mismatches the library does not (facts §4.2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace


class _Kwargs:
    def __init__(self, **kwargs: object) -> None:
        self.__dict__.update(kwargs)


class BindingInfo(_Kwargs):
    undefined, string, binary, stream = 0, 1, 2, 3
    out, inout = 1, 2
    # The direction enum the runtime reads off protos.BindingInfo
    in_ = 0


protos = SimpleNamespace(
    BindingInfo=BindingInfo,
    RpcFunctionMetadata=_Kwargs,
    RpcRetryOptions=_Kwargs,
    ParameterBinding=_Kwargs,
)


def main(app_dir: Path) -> None:
    from azure_functions_runtime import functions, loader
    from azure_functions_runtime.bindings import meta

    sys.path.insert(0, str(app_dir))
    meta.load_binding_registry()
    indexed = loader.index_function_app(str(app_dir / "function_app.py"))
    metadata, _binding_logs = loader.process_indexed_function(protos, functions.Registry(), indexed, str(app_dir))
    for item in metadata:
        bindings = [json.loads(raw) for raw in item.raw_bindings]
        print(json.dumps({"name": item.name, "bindings": bindings}))


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
