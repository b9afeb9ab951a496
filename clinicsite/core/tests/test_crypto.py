from django.core.exceptions import ImproperlyConfigured

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.core import crypto


@given(st.binary(max_size=4096))
def test_round_trip(data):
    token = crypto.encrypt(data)
    assert len(data) < 16 or data not in token  # short strings can appear in base64 by chance
    assert crypto.decrypt(token) == data


def test_newest_key_encrypts_and_all_keys_decrypt(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt(b"diagnosis")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == b"diagnosis"
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == b"diagnosis"
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


def test_tampered_token_is_rejected():
    token = bytearray(crypto.encrypt(b"secret"))
    token[20] ^= 1
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(bytes(token))


def test_no_keys_refuses(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt(b"x")


@given(st.binary(max_size=4096), st.text(max_size=200), st.text(max_size=200))
def test_sealed_round_trip_and_only_in_its_own_context(data, context, other):
    token = crypto.seal(data, context)
    assert crypto.unseal(token, context) == data
    assert crypto.reseal(token, context) != token
    assert crypto.unseal(crypto.reseal(token, context), context) == data
    if other != context:
        with pytest.raises(crypto.CiphertextMisplaced) as caught:
            crypto.unseal(token, other)
        assert caught.value.found == context


@given(st.binary(max_size=512).filter(lambda data: not data.startswith(crypto.MAGIC)))
def test_unbound_tokens_are_refused_unless_allowed(data):
    token = crypto.encrypt(data)
    with pytest.raises(crypto.CiphertextUnbound):
        crypto.unseal(token, "app.model:field:1")
    assert crypto.unseal(token, "app.model:field:1", allow_unbound=True) == data
    assert crypto.unseal(crypto.reseal(token, "app.model:field:1"), "app.model:field:1") == data


def test_the_setting_allows_unbound_tokens(settings):
    token = crypto.encrypt(b'{"legacy": true}')
    settings.FIELD_ENCRYPTION_ALLOW_UNBOUND = True
    assert crypto.unseal(token, "a.b:c:1") == b'{"legacy": true}'
    settings.FIELD_ENCRYPTION_ALLOW_UNBOUND = False
    with pytest.raises(crypto.CiphertextUnbound):
        crypto.unseal(token, "a.b:c:1")


def test_a_bound_token_cannot_be_rebound_elsewhere():
    token = crypto.seal(b"x", "applications.application:answers_ciphertext:HC-A")
    with pytest.raises(crypto.CiphertextMisplaced):
        crypto.reseal(token, "applications.application:answers_ciphertext:HC-B")


def test_a_truncated_header_is_an_invalid_token():
    for plaintext in (crypto.MAGIC, crypto.MAGIC + b"\x00\x09short"):
        with pytest.raises(crypto.InvalidToken):
            crypto.unseal(crypto.encrypt(plaintext), "x")
