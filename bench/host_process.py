"""`python -m bench.host_process --port N [--only f1 f2]`: the local host in its own process.

The ingress and cold-start benchmarks start this so the load generator does not share a GIL with the
server. Logging stays at WARNING, as in the in-process stack the tests use.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from sandbox.host.runner import REPO, LocalHost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--app-dir", type=Path, default=REPO)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    host = LocalHost(args.app_dir, functions=set(args.only) if args.only else None, host_id="bench")
    uvicorn.run(host, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
