"""Bearer tokens from Entra ID (client credentials) for the ERP APIs, via azure-identity."""

from __future__ import annotations

import threading
import time

from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential

# Renew this long before expiry so a token never lapses in flight.
EXPIRY_MARGIN_SECONDS = 300


class EntraTokens:
    """A cached client-credentials token for one scope; `refresh=True` forces a new one (after a 401)."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        scope: str,
        authority: str,
        verify: str | bool = True,
    ) -> None:
        self._args = (tenant_id, client_id, client_secret)
        self._authority = authority
        self._verify = verify
        self.scope = scope
        self._lock = threading.Lock()
        self._token: AccessToken | None = None
        self._credential = self._new_credential()
        self.acquired = 0

    def _new_credential(self) -> ClientSecretCredential:
        tenant_id, client_id, client_secret = self._args
        options: dict[str, object] = {"authority": self._authority}
        if not self._authority.startswith("https://login.microsoftonline.com"):
            # A non-public cloud or the sandbox: no instance discovery against the public cloud.
            options["disable_instance_discovery"] = True
        if self._verify is not True:
            options["connection_verify"] = self._verify
        return ClientSecretCredential(tenant_id, client_id, client_secret, **options)  # type: ignore[arg-type]

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            fresh = self._token is not None and self._token.expires_on - time.time() > EXPIRY_MARGIN_SECONDS
            if refresh or not fresh:
                if refresh:
                    # A new credential has an empty cache, so the token really is re-acquired.
                    self._credential = self._new_credential()
                self._token = self._credential.get_token(self.scope)
                self.acquired += 1
            assert self._token is not None
            return self._token.token
