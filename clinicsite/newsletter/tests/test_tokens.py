"""Signed links: tampered, expired or stale ones are refused."""

import contextlib
import time

from django.core import signing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.newsletter import tokens


def test_confirm_token_round_trip_and_tampering():
    token = tokens.confirm_token("abc_DEF-123", 4)
    assert tokens.read_confirm_token(token) == ("abc_DEF-123", 4)
    with pytest.raises(signing.BadSignature):
        tokens.read_confirm_token(token[:-1] + ("A" if token[-1] != "A" else "B"))
    with pytest.raises(signing.BadSignature):  # a manage token is not a confirm token
        tokens.read_confirm_token(tokens.manage_token("abc_DEF-123"))


def test_confirm_token_expires(settings, monkeypatch):
    token = tokens.confirm_token("key", 1)
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    later = time.time() + 8 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(signing.SignatureExpired):
        tokens.read_confirm_token(token)


def test_manage_token_never_expires_but_is_signed():
    token = tokens.manage_token("key-1")
    assert tokens.read_manage_token(token) == "key-1"
    with pytest.raises(signing.BadSignature):
        tokens.read_manage_token("key-1:forged")


def test_form_token_measures_age_and_rejects_forgeries():
    now = time.time()
    token = tokens.form_token(now - 10)
    assert 9 <= tokens.form_age(token, now) <= 11
    assert tokens.form_age("123:bad") is None
    assert tokens.form_age(None) is None
    assert tokens.form_age("x" * 5000) is None


@given(st.text(max_size=300))
def test_arbitrary_tokens_never_crash(text):
    assert tokens.form_age(text) is None or isinstance(tokens.form_age(text), float)
    for reader in (tokens.read_confirm_token, tokens.read_manage_token):
        with contextlib.suppress(signing.BadSignature):
            reader(text)
