"""Windows authentication (NTLM) for httpx, built on pyspnego's initiator (facts: dynamics-gp.md §1.2).

IIS in front of GP answers ``401`` with ``WWW-Authenticate: Negotiate`` and/or ``NTLM``; the client sends a
type-1 token, reads the type-2 challenge from the next ``401`` and answers with the type-3 response, all on
one keep-alive connection (MS-NTLMHTTP). NTLM is preferred when both schemes are offered (as httpx-ntlm
does); the raw NTLMSSP token is sent under the scheme chosen. Channel binding (IIS "Extended Protection"
= Required) is not implemented: set it to Accept or Off on the GP site.

An authenticated connection stays authenticated, so a steady stream of calls costs one request each; a
``401`` that survives a completed handshake means the account was refused (wrong password, or no GP user).
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
import spnego

SCHEMES = ("NTLM", "Negotiate")  # in order of preference


def offered_scheme(response: httpx.Response) -> str | None:
    values = [value.strip() for value in response.headers.get_list("www-authenticate")]
    for scheme in SCHEMES:
        if any(value.split(" ")[0].lower() == scheme.lower() for value in values):
            return scheme
    return None


def challenge_token(response: httpx.Response, scheme: str) -> bytes | None:
    for value in response.headers.get_list("www-authenticate"):
        name, _, token = value.strip().partition(" ")
        if name.lower() == scheme.lower() and token.strip():
            try:
                return base64.b64decode(token.strip())
            except ValueError:
                return None
    return None


class NtlmAuth(httpx.Auth):
    """httpx auth: answers an NTLM/Negotiate challenge with the handshake on the same connection."""

    requires_request_body = True  # the body is sent again on each leg of the handshake

    def __init__(self, username: str, password: str) -> None:
        self.username = username  # DOMAIN\\user
        self._password = password
        self.handshakes = 0

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 401:
            return
        scheme = offered_scheme(response)
        if scheme is None:
            return
        response.read()  # drain, so the connection goes back to the pool for the next leg
        context = spnego.client(self.username, self._password, protocol="ntlm")
        request.headers["Authorization"] = f"{scheme} {base64.b64encode(context.step() or b'').decode()}"
        response = yield request
        challenge = challenge_token(response, scheme) if response.status_code == 401 else None
        if challenge is None:
            return
        response.read()
        request.headers["Authorization"] = f"{scheme} {base64.b64encode(context.step(challenge) or b'').decode()}"
        self.handshakes += 1
        yield request
