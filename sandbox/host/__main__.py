"""`python -m sandbox.host`: run the function app locally, like `func start`. Ctrl-C stops gracefully."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from sandbox.host.runner import REPO, LocalHost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app-dir", type=Path, default=REPO)
    parser.add_argument("--module", default="function_app")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--settings", type=Path, default=None, help="local.settings.json to read")
    parser.add_argument("--only", nargs="*", default=None, help="run only these functions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = LocalHost(
        args.app_dir, module=args.module, settings_file=args.settings, functions=set(args.only) if args.only else None
    )
    print(f"Functions host on http://127.0.0.1:{args.port}/{host.config.route_prefix}  (keys: .sandbox/host-keys.json)")
    for spec in host.specs:
        print(f"  {spec.name}: {spec.kind}")
    uvicorn.run(host, host="127.0.0.1", port=args.port, log_level="warning", timeout_graceful_shutdown=35)


if __name__ == "__main__":
    main()
