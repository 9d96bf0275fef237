"""Cold start: import cost of `function_app` and the first webhook answered by a freshly started host.

All in subprocesses with the app settings in the environment (function_app checks them at import):
- `python -X importtime -c "import function_app"`: the cumulative import time and the packages that
  take it (self time summed by top-level package);
- wall time of `import function_app` measured inside the process, N times (median), against a bare
  `import azure.functions` in the same run;
- first request: spawn the local host (`bench.host_process`, all functions), wait until it listens, then
  time until a signed webhook is answered 200; against the same host running a one-function app that only
  answers 200 (the host's own share). The platform's part of an Azure cold start (allocating the
  instance, mounting the package, starting the worker) is not in these figures.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

from azure.storage.queue import QueueServiceClient

from bench.common import REPO, HostProcess, base_settings, clean_env, ratio, rounded
from bench.ingress import order_body, webhook_headers
from sandbox.azurite import Azurite
from shared.storage.names import QUEUES
from shared.storage.queues import ensure_queues

IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")
TRIVIAL_APP = """
import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="webhooks/woo/{store}", methods=["POST"])
def woo_webhook(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("ok")
"""


def import_profile(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import function_app"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import function_app failed: {done.stderr[-2000:]}")
    self_by_package: Counter[str] = Counter()
    cumulative_app = 0
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if not match:
            continue
        self_us, cumulative_us, _indent, module = match.groups()
        self_by_package[module.split(".")[0]] += int(self_us)
        if module == "function_app":
            cumulative_app = int(cumulative_us)
    total_self = sum(self_by_package.values())
    return {
        "function_app_cumulative_ms": rounded(cumulative_app / 1000, 1),
        "all_imports_self_ms": rounded(total_self / 1000, 1),
        "top_packages_self_ms": {name: rounded(us / 1000, 1) for name, us in self_by_package.most_common(10)},
    }


def import_wall(env: dict[str, str], module: str, runs: int) -> dict[str, Any]:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    inside, process = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        process.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"import {module} failed: {done.stderr[-2000:]}")
        inside.append(float(done.stdout.strip().splitlines()[-1]))
    return {
        "import_ms_median": rounded(1000 * statistics.median(inside), 1),
        "import_ms_min": rounded(1000 * min(inside), 1),
        "process_ms_median": rounded(1000 * statistics.median(process), 1),
    }


def first_request(settings: dict[str, str], app_dir: Path | None = None) -> dict[str, Any]:
    """Spawn the host; seconds until it listens and until the first signed webhook is answered 200."""
    import http.client

    body = order_body(1024, 4242)
    headers = webhook_headers(body)
    with HostProcess(settings, app_dir=str(app_dir) if app_dir else "") as host:
        listening = host.wait_listening()
        path = f"/api/webhooks/woo/main?code={host.function_key}"
        deadline = time.monotonic() + 60
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=60)
            try:
                conn.request("POST", path, body=body, headers=headers)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            if time.monotonic() > deadline:
                raise TimeoutError("no 200 within 60 s of start")
            time.sleep(0.01)
        first = time.monotonic() - host.started_at
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=60)
        later = []
        for _ in range(20):
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            conn.getresponse().read()
            later.append(time.perf_counter() - started)
        conn.close()
    return {
        "listening_s": listening,
        "first_200_s": first,
        "warm_request_ms": 1000 * statistics.median(later),
    }


def run(quick: bool = False) -> dict[str, Any]:
    runs = 3 if quick else 7
    host_runs = 1 if quick else 3
    with Azurite() as azurite:
        ensure_queues(QueueServiceClient.from_connection_string(azurite.connection_string), QUEUES)
        settings = base_settings(azurite.connection_string)
        env = clean_env(settings)
        profile = import_profile(env)
        app = import_wall(env, "function_app", runs)
        bare = import_wall(env, "azure.functions", runs)
        with tempfile.TemporaryDirectory(prefix="bench-trivial-app-") as tmp:
            (Path(tmp) / "function_app.py").write_text(textwrap.dedent(TRIVIAL_APP))
            (Path(tmp) / "host.json").write_text((REPO / "host.json").read_text())
            trivial = [first_request(settings, Path(tmp)) for _ in range(host_runs)]
        real = [first_request(settings) for _ in range(host_runs)]

    def median(rows: list[dict[str, Any]], key: str, scale: float = 1.0) -> float | None:
        return rounded(scale * statistics.median(r[key] for r in rows), 3)

    return {
        "import_profile": profile,
        "import_function_app": app,
        "import_azure_functions": bare,
        "import_ratio_to_bare": ratio(app["import_ms_median"] or 0, bare["import_ms_median"] or 0),
        "host_first_request": {
            "runs": host_runs,
            "listening_s": median(real, "listening_s"),
            "first_200_s": median(real, "first_200_s"),
            "warm_request_ms": median(real, "warm_request_ms"),
        },
        "trivial_app_first_request": {
            "listening_s": median(trivial, "listening_s"),
            "first_200_s": median(trivial, "first_200_s"),
            "warm_request_ms": median(trivial, "warm_request_ms"),
        },
        "first_request_ratio_to_trivial": ratio(
            statistics.median(r["first_200_s"] for r in real), statistics.median(r["first_200_s"] for r in trivial)
        ),
    }
