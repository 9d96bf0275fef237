"""A local certificate authority for the sandbox's HTTPS emulators.

azure-identity only accepts an https authority, and WooCommerce/BC are HTTPS in production, so the
emulators serve TLS with a certificate from this CA. The connector trusts the CA only when
`SANDBOX_CA_BUNDLE` points at it (sandbox mode); production uses the system trust store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import trustme

DEFAULT_DIR = Path(__file__).resolve().parent.parent / ".sandbox" / "tls"
_lock = threading.Lock()


@dataclass(frozen=True)
class TlsFiles:
    ca_bundle: Path
    cert_chain: Path
    private_key: Path


def ensure_tls_files(directory: Path = DEFAULT_DIR) -> TlsFiles:
    """Create (once) a CA and a localhost server certificate in `directory`; return their paths."""
    files = TlsFiles(directory / "ca.pem", directory / "server-chain.pem", directory / "server-key.pem")
    with _lock:
        if all(p.exists() for p in (files.ca_bundle, files.cert_chain, files.private_key)):
            return files
        directory.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA(organization_name="Woo-Dynamics connector sandbox")
        cert = ca.issue_cert("localhost", "127.0.0.1", "::1")
        tmp = directory / ".partial"
        tmp.mkdir(exist_ok=True)
        ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
        cert.private_key_pem.write_to_path(str(tmp / "server-key.pem"))
        chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
        (tmp / "server-chain.pem").write_bytes(chain)
        for name in ("ca.pem", "server-key.pem", "server-chain.pem"):
            (tmp / name).replace(directory / name)
        tmp.rmdir()
    return files
