"""Entra ID (Azure AD) v2.0 emulator: OIDC discovery + client-credentials token endpoint.

Enough of login.microsoftonline.com for MSAL / azure-identity `ClientSecretCredential` pointed at
`authority="https://localhost:PORT"` with `disable_instance_discovery=True`: MSAL first GETs
`/{tenant}/v2.0/.well-known/openid-configuration`, then POSTs the form to the `token_endpoint` it names.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.entra.tokens import TokenInfo, TokenRegistry
from sandbox.faults import Scope
from sandbox.lifecycle import Emulator

BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


def _aadsts(status: int, error: str, code: int, text: str) -> JSONResponse:
    now = datetime.now(UTC)
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    description = f"AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {stamp}"
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return JSONResponse(body, status_code=status)


def _fault_body(status: int) -> tuple[bytes, str]:
    body = {
        "error": "temporarily_unavailable",
        "error_description": "AADSTS50196: The server is temporarily unavailable (injected fault).",
        "error_codes": [50196],
    }
    return json.dumps(body).encode(), "application/json; charset=utf-8"


class EntraEmulator(Emulator):
    """In-process Entra ID stand-in. Resource emulators validate tokens with `validate()`."""

    name = "entra"

    def __init__(
        self,
        clients: dict[str, str] | None = None,
        token_lifetime_s: float = 3600,
        tenants: set[str] | None = None,
    ) -> None:
        self.clients: dict[str, str] = dict(clients or {})
        self.token_lifetime_s = token_lifetime_s
        self.tenants = tenants  # None: any tenant name/GUID is accepted
        self.registry = TokenRegistry()
        self.object_ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self.app = Starlette(routes=self._routes())
        self.serve_with_faults(self.app, user_of=self._client_of_form, error_body=_fault_body)

    # ---- Python control API -------------------------------------------------------------------
    def add_client(self, client_id: str, secret: str) -> None:
        with self._lock:
            self.clients[client_id] = secret

    def object_id(self, client_id: str) -> str:
        """A stable service-principal object id per client (BC shows it as the user id)."""
        with self._lock:
            return self.object_ids.setdefault(client_id, str(uuid.uuid5(uuid.NAMESPACE_URL, client_id)))

    def expire_all_tokens(self) -> int:
        return self.registry.expire_all()

    def revoke_token(self, token: str) -> bool:
        return self.registry.revoke(token)

    def validate(self, token: str) -> TokenInfo | None:
        info = self.registry.lookup(token)
        return info if info and info.valid() else None

    def lookup(self, token: str) -> TokenInfo | None:
        return self.registry.lookup(token)

    @property
    def tokens_issued(self) -> int:
        return self.registry.total_issued

    @property
    def authority(self) -> str:
        return self.base_url

    def token_url(self, tenant: str) -> str:
        return f"{self.authority}/{tenant}/oauth2/v2.0/token"

    # ---- HTTP ---------------------------------------------------------------------------------
    def _routes(self) -> list[Route]:
        return [
            Route("/_sandbox/stats", self._stats, methods=["GET"]),
            Route("/_sandbox/tokens/expire", self._expire, methods=["POST"]),
            Route("/_sandbox/clients", self._add_client, methods=["POST"]),
            Route("/_sandbox/config", self._config, methods=["POST"]),
            Route("/common/discovery/instance", self._instance_discovery, methods=["GET"]),
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self._openid, methods=["GET"]),
            Route("/{tenant}/.well-known/openid-configuration", self._openid, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
        ]

    def _client_of_form(self, scope: Scope) -> str:
        return "token-endpoint"

    def _base(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def _tenant_known(self, tenant: str) -> bool:
        return self.tenants is None or tenant in self.tenants

    async def _openid(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if not self._tenant_known(tenant):
            return _aadsts(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = self._base(request)
        return JSONResponse(
            {
                "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{tenant}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{base}/oidc/userinfo",
                "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "tid", "oid"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    async def _instance_discovery(self, request: Request) -> Response:
        base = self._base(request)
        return JSONResponse(
            {
                "tenant_discovery_endpoint": f"{base}/common/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [],
            }
        )

    async def _token(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))
        if not self._tenant_known(tenant):
            return _aadsts(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        grant = fields.get("grant_type", "")
        if grant != "client_credentials":
            return _aadsts(
                400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
            )
        client_id = fields.get("client_id", "")
        if not client_id:
            return _aadsts(
                400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."
            )
        with self._lock:
            secret = self.clients.get(client_id)
        if secret is None:
            return _aadsts(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
                "This can happen if the application has not been installed by the administrator of the tenant "
                "or consented to by any user in the tenant. You may have sent your authentication request to "
                "the wrong tenant.",
            )
        if "client_secret" not in fields:
            return _aadsts(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if fields["client_secret"] != secret:
            return _aadsts(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
            )
        scopes = fields.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            shown = " ".join(scopes)
            return _aadsts(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {shown} is not valid. Client credential flows must have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI).",
            )
        audience = scopes[0][: -len("/.default")]
        lifetime = self.token_lifetime_s
        token = self.registry.issue(client_id, tenant, audience, lifetime, self.object_id(client_id))
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": int(lifetime),
                "ext_expires_in": int(lifetime),
                "access_token": token,
            },
            headers={"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(
            {
                "tokens_issued": self.tokens_issued,
                "tokens_issued_by_client": dict(self.registry.issued),
                "faults": dict(self.faults.counters),
                "token_lifetime_s": self.token_lifetime_s,
            }
        )

    async def _expire(self, request: Request) -> Response:
        return JSONResponse({"expired": self.expire_all_tokens()})

    async def _add_client(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        self.add_client(str(body["client_id"]), str(body["client_secret"]))
        return JSONResponse({"ok": True})

    async def _config(self, request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        if "token_lifetime_s" in body:
            self.token_lifetime_s = float(body["token_lifetime_s"])
        return JSONResponse({"token_lifetime_s": self.token_lifetime_s})
