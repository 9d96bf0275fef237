"""Token registry shared in-process by the Entra emulator (issuer) and the resource emulators (validators)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenInfo:
    client_id: str
    tenant: str
    audience: str
    issued_at: float
    expires_at: float
    object_id: str
    revoked: bool = False

    def valid(self, now: float | None = None) -> bool:
        return not self.revoked and (now or time.time()) < self.expires_at


@dataclass
class TokenRegistry:
    """Issues JWT-shaped bearer tokens (HS256 with a per-process key) and remembers every one issued."""

    issuer_base: str = "https://sts.windows.net"
    _key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _tokens: dict[str, TokenInfo] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    issued: Counter[str] = field(default_factory=Counter)

    def issue(self, client_id: str, tenant: str, audience: str, lifetime_s: float, object_id: str) -> str:
        now = time.time()
        claims = {
            "aud": audience,
            "iss": f"{self.issuer_base}/{tenant}/",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime_s),
            "appid": client_id,
            "appidacr": "1",
            "idtyp": "app",
            "oid": object_id,
            "roles": ["API.ReadWrite.All"],
            "sub": object_id,
            "tid": tenant,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "sandbox"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        token = f"{header}.{payload}.{signature}"
        with self._lock:
            self._tokens[token] = TokenInfo(client_id, tenant, audience, now, now + lifetime_s, object_id)
            self.issued[client_id] += 1
        return token

    def lookup(self, token: str) -> TokenInfo | None:
        with self._lock:
            return self._tokens.get(token)

    def expire_all(self) -> int:
        """Make every token issued so far invalid now (as if each had reached its `exp`)."""
        now = time.time()
        with self._lock:
            for info in self._tokens.values():
                info.expires_at = min(info.expires_at, now)
            return len(self._tokens)

    def revoke(self, token: str) -> bool:
        with self._lock:
            info = self._tokens.get(token)
            if info:
                info.revoked = True
            return info is not None

    def prune(self, older_than_s: float = 86400) -> None:
        cutoff = time.time() - older_than_s
        with self._lock:
            for tok in [t for t, i in self._tokens.items() if i.expires_at < cutoff]:
                del self._tokens[tok]

    @property
    def total_issued(self) -> int:
        with self._lock:
            return sum(self.issued.values())


def new_guid() -> str:
    return str(uuid.uuid4())
