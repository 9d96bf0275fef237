"""Extra CA bundles (WOO_STORES__<store>__CA_BUNDLE, BC_CA_BUNDLE): a server certified by a private CA is
trusted, and the system and certifi trust stay. Tested with the sandbox's local CA, which no trust store
knows: the emulators play a store and an Entra authority behind a corporate CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
from pydantic import SecretStr

from sandbox.entra import BC_SCOPE, EntraEmulator
from sandbox.tls import ensure_tls_files
from sandbox.woo import WooEmulator
from shared.auth import EntraTokens
from shared.config import Settings, WooStoreSettings
from shared.http import ApiClient, RetryPolicy, TransientHttpError, tls_bundle_file, tls_context
from shared.woo.client import WooClient

pytestmark = pytest.mark.integration

CK, CS = "ck_ca_test", "cs_ca_test"
TENANT, CLIENT_ID, SECRET = "contoso-ca.onmicrosoft.com", "99999999-2222-3333-4444-555555555555", "ca~secret"


@pytest.fixture(scope="module")
def woo() -> Iterator[WooEmulator]:
    emulator = WooEmulator(CK, CS)
    emulator.start()
    emulator.add_product("Mug", "MUG-CA", "9.50")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def entra() -> Iterator[EntraEmulator]:
    emulator = EntraEmulator(clients={CLIENT_ID: SECRET})
    emulator.start()
    yield emulator
    emulator.stop()


def local_ca() -> Path:
    return ensure_tls_files().ca_bundle


def certifi_count() -> int:
    return Path(certifi.where()).read_text(encoding="ascii").count("-----BEGIN CERTIFICATE-----")


def store_settings(woo: WooEmulator, ca_bundle: str) -> WooStoreSettings:
    return WooStoreSettings(
        url=woo.url,
        consumer_key=SecretStr(CK),
        consumer_secret=SecretStr(CS),
        webhook_secret=SecretStr("x"),
        ca_bundle=ca_bundle,
    )


def test_a_store_behind_a_private_ca_is_trusted_through_its_own_setting(woo: WooEmulator) -> None:
    settings = Settings(sandbox_ca_bundle="", http_max_attempts=1)
    trusted = WooClient("main", store_settings(woo, str(local_ca())), settings=settings)
    try:
        assert [p["sku"] for p in trusted.products_by_sku(["MUG-CA"])] == ["MUG-CA"]
    finally:
        trusted.close()
    # The same PEM given as the setting's text (how an app setting can carry it) works too.
    inline = WooClient("main", store_settings(woo, local_ca().read_text()), settings=settings)
    try:
        assert inline.products_by_sku(["MUG-CA"])
    finally:
        inline.close()


def test_without_the_bundle_the_private_ca_is_refused(woo: WooEmulator) -> None:
    plain = WooClient("main", store_settings(woo, ""), settings=Settings(sandbox_ca_bundle="", http_max_attempts=1))
    try:
        with pytest.raises(TransientHttpError, match="cannot connect"):
            plain.products_by_sku(["MUG-CA"])
    finally:
        plain.close()


def test_the_system_and_certifi_trust_are_kept() -> None:
    context = tls_context([str(local_ca())])
    assert not isinstance(context, bool)
    # certifi's CAs (httpx's default trust) and the local CA, not the local CA alone.
    assert context.cert_store_stats()["x509_ca"] >= certifi_count() + 1
    assert tls_context([]) is True and tls_bundle_file([""]) is True
    bundle = Path(str(tls_bundle_file([str(local_ca())])))
    text = bundle.read_text(encoding="ascii")
    assert local_ca().read_text(encoding="ascii").strip() in text
    assert text.count("-----BEGIN CERTIFICATE-----") >= certifi_count() + 1


def test_an_unreadable_bundle_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        tls_context([str(tmp_path / "missing.pem")])
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(ValueError, match="no PEM certificate"):
        tls_context([str(junk)])


def test_the_erp_token_authority_behind_a_private_ca_is_trusted(entra: EntraEmulator) -> None:
    """azure-identity takes only a bundle path: the combined file (system + certifi + extra) is given."""
    tokens = EntraTokens(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        scope=BC_SCOPE,
        authority=entra.authority,
        verify=tls_bundle_file([str(local_ca())]),
    )
    assert tokens.token()
    untrusted = ApiClient("entra", entra.authority, policy=RetryPolicy(max_attempts=1), verify=True)
    try:
        with pytest.raises(TransientHttpError, match="cannot connect"):
            untrusted.request("GET", "/")
    finally:
        untrusted.close()
