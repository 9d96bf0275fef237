"""Windows authentication: the emulator demands NTLM/Negotiate and runs a real handshake (facts: dynamics-gp.md §1.2)."""

from __future__ import annotations

import base64

import httpx
import pytest
import spnego

from sandbox.gp import GpEmulator
from sandbox.probe import Fault

from .conftest import PASSWORD, USER, ntlm_client, service_url, tls

pytestmark = [pytest.mark.integration, pytest.mark.gp]


def test_no_credentials_get_the_ntlm_and_negotiate_challenge(gp: GpEmulator) -> None:
    response = httpx.get(service_url(gp) + "?wsdl", verify=tls(gp), timeout=20)
    assert response.status_code == 401
    assert set(response.headers.get_list("www-authenticate")) == {"Negotiate", "NTLM"}


def test_ntlm_handshake_authenticates_the_connection(gp: GpEmulator) -> None:
    with ntlm_client(gp) as client:
        response = client.get(service_url(gp) + "?wsdl")
        assert response.status_code == 200
        # The three legs: challenge, type-2, then the answer.
        assert [r.status_code for r in response.history] == [401, 401]
        # NTLM authenticates the connection: the next request on it needs no new handshake (IIS default).
        again = client.get(service_url(gp) + "?wsdl")
        assert again.status_code == 200 and again.history == []


def test_wrong_password_is_refused(gp: GpEmulator) -> None:
    with ntlm_client(gp, password="not-" + PASSWORD) as client:
        response = client.get(service_url(gp) + "?wsdl")
    assert response.status_code == 401
    assert "NTLM" in response.headers.get_list("www-authenticate")


def test_unknown_user_is_refused(gp: GpEmulator) -> None:
    with ntlm_client(gp, user="GPDOM\\intruder") as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 401


def test_negotiate_scheme_carrying_raw_ntlm_is_accepted(gp: GpEmulator) -> None:
    """IIS's Negotiate falls back to NTLM; the client may answer under either scheme name."""
    context = spnego.client(USER, PASSWORD, protocol="ntlm")
    with httpx.Client(verify=tls(gp), timeout=20) as client:
        url = service_url(gp) + "?wsdl"
        first = client.get(
            url, headers={"Authorization": f"Negotiate {base64.b64encode(context.step() or b'').decode()}"}
        )
        assert first.status_code == 401
        scheme, _, challenge = first.headers["www-authenticate"].partition(" ")
        assert scheme == "Negotiate"
        answer = base64.b64encode(context.step(base64.b64decode(challenge)) or b"").decode()
        assert client.get(url, headers={"Authorization": f"Negotiate {answer}"}).status_code == 200


def test_a_type_3_without_a_handshake_is_refused(gp: GpEmulator) -> None:
    bogus = base64.b64encode(b"NTLMSSP\x00\x03\x00\x00\x00" + b"\x00" * 60).decode()
    response = httpx.get(service_url(gp) + "?wsdl", headers={"Authorization": f"NTLM {bogus}"}, verify=tls(gp))
    assert response.status_code == 401


def test_kerberos_tokens_are_refused(gp: GpEmulator) -> None:
    response = httpx.get(
        service_url(gp) + "?wsdl", headers={"Authorization": "Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg"}, verify=tls(gp)
    )
    assert response.status_code == 401


def test_lost_rights_answer_401_even_after_a_handshake(gp: GpEmulator) -> None:
    gp.inject_fault(Fault.UNAUTHORIZED)
    with ntlm_client(gp) as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 401


def test_forgotten_sessions_must_authenticate_again(gp: GpEmulator) -> None:
    with ntlm_client(gp) as client:
        assert client.get(service_url(gp) + "?wsdl").status_code == 200
        gp.inject_fault(Fault.TOKEN_EXPIRED)
        again = client.get(service_url(gp) + "?wsdl")
        assert again.status_code == 200
        assert [r.status_code for r in again.history] == [401, 401]


def test_two_emulators_in_one_process_keep_their_own_users(gp: GpEmulator) -> None:
    with GpEmulator(users={"other": "OtherPass1"}, domain="OTHERDOM") as other:
        with ntlm_client(other, user="OTHERDOM\\other", password="OtherPass1") as client:
            assert client.get(service_url(other) + "?wsdl").status_code == 200
        with ntlm_client(other) as client:
            assert client.get(service_url(other) + "?wsdl").status_code == 401  # gp's user is not other's
        with ntlm_client(gp, user="OTHERDOM\\other", password="OtherPass1") as client:
            assert client.get(service_url(gp) + "?wsdl").status_code == 401
        with ntlm_client(gp) as client:
            assert client.get(service_url(gp) + "?wsdl").status_code == 200
