"""WooCommerce webhook signature and ping handling (facts/woocommerce.md §1.4, §1.5)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.woo.signature import decode_secret, is_ping, parse_ping, sign, verify_signature


def _hmac_sha256_by_hand(key: bytes, message: bytes) -> bytes:
    """RFC 2104 spelled out, so the test does not reuse the implementation's hmac call."""
    block = 64
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def test_rfc4231_vector():
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    expected = bytes.fromhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    assert sign("Jefe", b"what do ya want for nothing?") == base64.b64encode(expected).decode()


def test_known_vector_on_a_woo_body():
    body = b'{"id":727,"number":"727","total":"29.35","note":"caf\\u00e9 \\/ ok"}'
    secret = "s3cr3t-(with)-$pecial*chars!"
    expected = base64.b64encode(_hmac_sha256_by_hand(secret.encode(), body)).decode()
    assert sign(secret, body) == expected
    assert expected.endswith("=")  # 32 bytes → 44 base64 chars with padding
    assert verify_signature(secret, body, expected)


def test_signature_is_over_exact_bytes():
    body = b'{"a": 1}'
    header = sign("k", body)
    assert not verify_signature("k", b'{"a":1}', header)
    assert not verify_signature("k", body + b"\n", header)
    assert verify_signature("k", body, "  " + header + "\r\n")


@pytest.mark.parametrize(
    ("stored", "decoded"),
    [
        ("a&amp;b", "a&b"),
        ("&quot;q&quot;", '"q"'),
        ("it&#039;s", "it's"),
        ("it&#39;s", "it's"),
        ("it&#x27;s", "it's"),
        ("&lt;x&gt;", "<x>"),
        ("&#038;&#38;&#x26;", "&&&"),
        ("&amp;lt;", "&lt;"),  # one pass, like PHP strtr
        ("caf&eacute;", "caf&eacute;"),  # wp_specialchars_decode leaves other entities alone
        ("plain", "plain"),
    ],
)
def test_decode_secret_like_wp_specialchars_decode(stored, decoded):
    assert decode_secret(stored) == decoded


def test_entity_encoded_secret_verifies_against_decoded_key():
    body = b'{"id":1}'
    real_secret = "p&ss<w>rd'\"x"
    header = base64.b64encode(_hmac_sha256_by_hand(real_secret.encode(), body)).decode()
    assert verify_signature("p&amp;ss&lt;w&gt;rd&#039;&quot;x", body, header)
    assert verify_signature(real_secret, body, header)
    assert sign("a&amp;b", body) == sign("a&b", body)


@pytest.mark.parametrize(
    "header",
    [None, "", " ", "garbage", "ü" * 44, "\x00", "=" * 44, "A" * 10_000, "\ud800", 12345, b"bytes"],
)
def test_junk_headers_are_false(header):
    assert verify_signature("secret", b"{}", header) is False


def test_wrong_secret_and_empty_secret():
    body = b"{}"
    assert not verify_signature("other", body, sign("secret", body))
    assert not verify_signature("", body, sign("", body))


@given(st.text(), st.binary(), st.one_of(st.none(), st.text()))
def test_verify_never_raises(secret, body, header):
    assert verify_signature(secret, body, header) in (True, False)


@given(st.text(min_size=1), st.binary())
def test_sign_then_verify(secret, body):
    assert verify_signature(secret, body, sign(secret, body))


def test_ping():
    assert parse_ping(b"webhook_id=12") == 12
    assert parse_ping(b"webhook_id=7\n") == 7
    assert is_ping(b"webhook_id=3")
    assert parse_ping(b'{"id": 1}') is None
    assert parse_ping(b"webhook_id=") is None
    assert parse_ping(b"webhook_id=1&x=2") is None
    assert not is_ping(b"")
