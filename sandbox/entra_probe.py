"""What the probes of emulators behind Entra ID (BC, F&O) share: the control clients, fault injection
through the shared fault base (:mod:`sandbox.faults`), and the request log (the emulator's counters plus
the tokens Entra issued). Each ERP's probe adds its own master data, warehouse and company calls."""

from __future__ import annotations

import ssl
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, ClassVar

import httpx

from sandbox.faults import FaultConfig
from sandbox.probe import Fault, RequestLog

CONTROL_TIMEOUT_SECONDS = 30.0
TIMEOUT_HANG_SECONDS = 10.0  # how long a TIMEOUT fault holds a request: longer than the suite's client timeout
FAULT_STATUS = {Fault.THROTTLED: 429, Fault.UNAVAILABLE: 503, Fault.SERVER_ERROR: 500, Fault.UNAUTHORIZED: 401}


class EntraEmulatorProbe(ABC):
    """The control API of an ERP emulator (``<erp_url>/_sandbox/``) and of its Entra ID emulator."""

    # Retry-After a THROTTLED fault sends when the caller names none (None: none, as BC on 429).
    throttled_retry_after: ClassVar[int | None] = None

    def __init__(self, erp_url: str, entra_url: str, *, ca_bundle: str | None = None) -> None:
        """``erp_url`` / ``entra_url``: the emulators' base URLs; ``ca_bundle``: the sandbox CA (PEM file)."""
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
        self._erp = httpx.Client(
            base_url=erp_url.rstrip("/") + "/_sandbox/", verify=verify, timeout=CONTROL_TIMEOUT_SECONDS
        )
        self._entra = httpx.Client(
            base_url=entra_url.rstrip("/") + "/_sandbox/", verify=verify, timeout=CONTROL_TIMEOUT_SECONDS
        )

    def close(self) -> None:
        self._erp.close()
        self._entra.close()

    @abstractmethod
    def _company(self, **body: Any) -> dict[str, Any]:
        """``body`` scoped to the probe's company (each emulator names its company key)."""

    def remove_currency(self, code: str) -> None:
        response = self._erp.delete("currencies", params=self._company(code=code))
        response.raise_for_status()
        if not response.json().get("deleted"):
            raise KeyError(f"currency {code} is not set up")

    def _post(self, path: str, body: Mapping[str, Any], client: httpx.Client | None = None) -> Any:
        response = (client or self._erp).post(path, json=dict(body))
        response.raise_for_status()
        return response.json()

    def inject(self, fault: Fault, *, retry_after: int | None = None) -> None:
        if fault == Fault.TOKEN_EXPIRED:
            self._post("tokens/expire", {}, self._entra)
            return
        if fault == Fault.TIMEOUT:
            config: dict[str, Any] = {"timeout_rate": 1.0, "timeout_hang_seconds": TIMEOUT_HANG_SECONDS}
        else:
            if retry_after is None and fault == Fault.THROTTLED:
                retry_after = self.throttled_retry_after
            config = {"error_rate": 1.0, "error_statuses": [FAULT_STATUS[fault]], "retry_after_seconds": retry_after}
        self._post("faults", config)

    def clear_faults(self) -> None:
        defaults = {k: v for k, v in asdict(FaultConfig()).items() if k not in ("exempt_paths", "seed")}
        self._post("faults", defaults)

    def request_log(self) -> RequestLog:
        counters = self._erp.get("counters")
        counters.raise_for_status()
        stats = self._entra.get("stats")
        stats.raise_for_status()
        requests: dict[str, int] = counters.json()["requests"]
        faults: dict[str, int] = counters.json()["faults"]
        return RequestLog(
            requests=int(faults.get("requests", 0)),
            unauthorized=int(requests.get("unauthorized", 0)) + int(faults.get("status_401", 0)),
            tokens_issued=int(stats.json()["tokens_issued"]),
            by_operation={k: int(v) for k, v in requests.items() if k not in ("requests", "unauthorized")},
        )
