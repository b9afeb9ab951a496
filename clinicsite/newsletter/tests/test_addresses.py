"""The address normaliser: one spelling per mailbox, nothing that could break a mail header."""

from django.core.exceptions import ValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.newsletter.addresses import normalise_email


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana@Example.ORG ", "Ana@example.org"),
        ("ana+news@example.org", "ana+news@example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("ana@xn--bcher-kva.example", "ana@xn--bcher-kva.example"),
        ("ana@Bücher.example", "ana@xn--bcher-kva.example"),
    ],
)
def test_valid_addresses_are_normalised(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        ("ana.example.org", "no_at"),
        ("ana@", "invalid"),
        ("@example.org", "invalid"),
        ("ana@example", "invalid"),
        ("ana@example.org\r\nBcc: victim@example.com", "control"),
        ("ana@example.org\nBcc:x@y.z", "control"),
        ("ana\x00@example.org", "control"),
        ("a" * 250 + "@example.org", "too_long"),
        ("<script>@example.org", "invalid"),
        ("ana@example.org' OR '1'='1", "invalid"),
        (None, "required"),
        (["ana@example.org"], "required"),
    ],
)
def test_bad_addresses_get_a_specific_error(raw, code):
    with pytest.raises(ValidationError) as caught:
        normalise_email(raw)
    assert caught.value.code == code
    assert caught.value.messages[0].endswith(".")


@given(st.text(max_size=300))
def test_any_text_is_refused_or_becomes_a_header_safe_fixed_point(raw):
    try:
        address = normalise_email(raw)
    except ValidationError as exc:
        assert exc.messages  # noqa: PT017 - always says why
        return
    assert not any(ord(ch) < 32 for ch in address)
    assert address.isascii()  # safe to stamp into a raw message
    assert len(address) <= 254
    assert address.count("@") >= 1
    assert normalise_email(address) == address  # idempotent
    domain = address.rpartition("@")[2]
    assert domain == domain.lower()


@given(
    st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True),
    st.from_regex(r"[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True),
)
def test_domain_case_never_makes_a_second_address(local, domain):
    try:
        lower = normalise_email(f"{local}@{domain}")
    except ValidationError:
        return
    assert normalise_email(f"{local}@{domain.upper()}") == lower
