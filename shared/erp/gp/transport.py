"""One GP transport (Web Services SOAP or SBA REST) as the adapter sees it: GP business objects in the shape of
the Web Services types (``Customer``, ``SalesInvoice``, ``ReceivablesInvoice``...), as plain dicts.

The SOAP transport speaks them natively; the SBA transport translates its JSON to and from them in
:mod:`shared.erp.gp.sba_shapes` (the one place with unconfirmed shapes). Errors: :class:`~shared.erp.port.ErpError`
subclasses; a GP validation failure is :class:`~shared.erp.gp.errors.GpRefused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from shared.http import CallLimiter

GpObject = dict[str, Any]
Criteria = Mapping[str, Mapping[str, Any]]  # member → restriction (``{"EqualValue": ...}``, ``{"Items": [...]}``)


class GpTransport(Protocol):
    name: str

    @property
    def calls(self) -> int:
        """Requests sent so far (the auth handshake's legs not counted)."""
        ...

    def supports(self, kind: str) -> bool:
        """Whether this transport reaches objects of ``kind`` (SBA has no SOP documents)."""
        ...

    def get(self, kind: str, key: Mapping[str, Any]) -> GpObject | None:
        """The object with this key, or None."""
        ...

    def list(self, kind: str, criteria: Criteria) -> list[GpObject]:
        """Summaries (SOAP) or objects (SBA) of ``kind`` matching every restriction."""
        ...

    def create(self, kind: str, obj: GpObject) -> None:
        """Create; GP answers nothing (read the object back to learn what it computed)."""
        ...

    def delete(self, kind: str, key: Mapping[str, Any]) -> None: ...

    def post_batch(self, source: str, batch_id: str) -> None:
        """Post a batch (``Sales Entry``, ``RM_Sales``, ``RM_Cash``) through the SBA posting service."""
        ...

    def limit(self, limiter: CallLimiter) -> None:
        """Hold one of the connection's slots around each request (the cross-instance ERP limit)."""
        ...

    def close(self) -> None: ...
