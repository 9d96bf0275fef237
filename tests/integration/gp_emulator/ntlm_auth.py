"""NTLM clients for the tests, built on pyspnego's initiator (what the connector's adapter will use).

``HttpxNtlmAuth`` drives httpx; ``RequestsNtlmAuth`` drives requests (zeep's transport). Both answer the
server's 401 ``WWW-Authenticate: NTLM`` with a type-1 token, then the type-2 challenge with a type-3
response, on the same connection (MS-NTLMHTTP; facts: dynamics-gp.md §1.2).
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from typing import Any

import httpx
import requests
import spnego
from requests.auth import AuthBase


def _offered_scheme(headers: Any) -> str | None:
    values = (
        [v.strip() for v in headers.get_list("www-authenticate")]
        if hasattr(headers, "get_list")
        else [v.strip() for v in str(headers.get("www-authenticate", "")).split(",")]
    )
    for scheme in ("NTLM", "Negotiate"):  # prefer NTLM when both are offered, as httpx-ntlm does
        if any(v.split(" ")[0] == scheme for v in values):
            return scheme
    return None


def _challenge(headers: Any, scheme: str) -> bytes | None:
    values = (
        headers.get_list("www-authenticate")
        if hasattr(headers, "get_list")
        else str(headers.get("www-authenticate", "")).split(",")
    )
    for value in values:
        name, _, token = value.strip().partition(" ")
        if name == scheme and token:
            return base64.b64decode(token)
    return None


class HttpxNtlmAuth(httpx.Auth):
    def __init__(self, username: str, password: str) -> None:
        self.username = username  # DOMAIN\\user
        self.password = password

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 401:
            return
        scheme = _offered_scheme(response.headers)
        if scheme is None:
            return
        context = spnego.client(self.username, self.password, protocol="ntlm")
        request.headers["Authorization"] = f"{scheme} {base64.b64encode(context.step() or b'').decode()}"
        response = yield request
        challenge = _challenge(response.headers, scheme) if response.status_code == 401 else None
        if challenge is None:
            return
        request.headers["Authorization"] = f"{scheme} {base64.b64encode(context.step(challenge) or b'').decode()}"
        yield request

    @property
    def requires_request_body(self) -> bool:  # the body is sent again on each leg
        return True


class RequestsNtlmAuth(AuthBase):
    """requests auth: on a 401 challenge, runs the handshake on the same pooled connection."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.register_hook("response", self._on_response)
        return request

    def _resend(self, response: requests.Response, authorization: str, **kwargs: Any) -> requests.Response:
        response.content  # noqa: B018 - drain so the connection returns to the pool for reuse
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = authorization
        adapter = response.connection
        sent = adapter.send(retry, **kwargs)
        sent.history.append(response)
        sent.request = retry
        return sent

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or "Authorization" in response.request.headers:
            return response
        scheme = _offered_scheme(response.headers)
        if scheme is None:
            return response
        context = spnego.client(self.username, self.password, protocol="ntlm")
        second = self._resend(response, f"{scheme} {base64.b64encode(context.step() or b'').decode()}", **kwargs)
        challenge = _challenge(second.headers, scheme) if second.status_code == 401 else None
        if challenge is None:
            return second
        token = base64.b64encode(context.step(challenge) or b"").decode()
        third = self._resend(second, f"{scheme} {token}", **kwargs)
        third.history.insert(0, response)
        return third
