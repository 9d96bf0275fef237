"""Entra emulator with the real azure-identity credential, AADSTS errors, BC bearer validation."""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential

from sandbox.bc import BcEmulator
from sandbox.entra import BC_SCOPE, EntraEmulator

from .conftest import CLIENT_ID, SECRET, TENANT, get_token, tls

pytestmark = [pytest.mark.integration, pytest.mark.bc]


def credential(entra: EntraEmulator, secret: str, client_id: str = CLIENT_ID) -> ClientSecretCredential:
    return ClientSecretCredential(
        TENANT,
        client_id,
        secret,
        authority=entra.authority,
        disable_instance_discovery=True,
        connection_verify=str(entra.ca_bundle),
    )


def test_real_client_secret_credential_gets_a_token_bc_accepts(entra: EntraEmulator, bc: BcEmulator):
    before = entra.tokens_issued
    token = credential(entra, SECRET).get_token(BC_SCOPE)
    assert entra.tokens_issued == before + 1
    assert token.expires_on > 0
    response = httpx.get(f"{bc.api_url}/companies", headers={"Authorization": f"Bearer {token.token}"}, verify=tls(bc))
    assert response.status_code == 200
    assert response.json()["value"]


def test_bad_secret_gives_aadsts7000215(entra: EntraEmulator):
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential(entra, "wrong").get_token(BC_SCOPE)


def test_error_json_shape_for_unknown_client(entra: EntraEmulator):
    response = httpx.post(
        entra.token_url(TENANT),
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x", "scope": BC_SCOPE},
        verify=tls(entra),
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"}
    assert body["error"] == "unauthorized_client"
    assert body["error_codes"] == [700016]
    assert body["error_description"].startswith("AADSTS700016: Application with identifier 'nobody'")


def test_bad_secret_raw_shape(entra: EntraEmulator):
    response = httpx.post(
        entra.token_url(TENANT),
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "bad", "scope": BC_SCOPE},
        verify=tls(entra),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["error_codes"] == [7000215]


def test_missing_token_and_expired_token_give_bc_401(entra: EntraEmulator, bc: BcEmulator):
    url = f"{bc.api_url}/companies"
    verify = tls(bc)
    missing = httpx.get(url, verify=verify)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "Authentication_InvalidCredentials"
    assert "CorrelationId:" in missing.json()["error"]["message"]
    assert missing.headers["www-authenticate"].startswith("Bearer ")

    token = get_token(entra)
    assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=verify).status_code == 200
    entra.expire_all_tokens()
    expired = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=verify)
    assert expired.status_code == 401
    assert expired.json()["error"]["code"] == "Authentication_InvalidCredentials"
    fresh = get_token(entra)
    assert httpx.get(url, headers={"Authorization": f"Bearer {fresh}"}, verify=verify).status_code == 200


def test_token_lifetime_is_configurable(entra: EntraEmulator, bc: BcEmulator):
    old = entra.token_lifetime_s
    entra.token_lifetime_s = 0.5
    try:
        token = get_token(entra)
        assert entra.validate(token)
        import time

        time.sleep(0.6)
        assert entra.validate(token) is None
        r = httpx.get(f"{bc.api_url}/companies", headers={"Authorization": f"Bearer {token}"}, verify=tls(bc))
        assert r.status_code == 401
    finally:
        entra.token_lifetime_s = old


def test_wrong_audience_is_rejected(entra: EntraEmulator, bc: BcEmulator):
    response = httpx.post(
        entra.token_url(TENANT),
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "scope": "https://graph.microsoft.com/.default",
        },
        verify=tls(entra),
    )
    token = response.json()["access_token"]
    r = httpx.get(f"{bc.api_url}/companies", headers={"Authorization": f"Bearer {token}"}, verify=tls(bc))
    assert r.status_code == 401


def test_entra_control_endpoints(entra: EntraEmulator):
    stats = httpx.get(f"{entra.authority}/_sandbox/stats", verify=tls(entra)).json()
    assert stats["tokens_issued"] >= 1
    assert httpx.post(f"{entra.authority}/_sandbox/tokens/expire", verify=tls(entra)).status_code == 200
