"""The signed links' tokens are masked wherever a log line could carry them."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from django.urls import URLPattern, URLResolver, get_resolver, reverse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.core.accesslog import MASK, TOKEN_ROUTES, MaskTokensFilter, mask

# What Django's signing puts in a token: URL-safe base64, ":" separators, "." and "-" "_".
TOKENS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:.~",
    min_size=8,
    max_size=120,
)


def token_routes() -> set[str]:
    """Every route of the URLconf with a ``token`` parameter, written as ``TOKEN_ROUTES`` is."""

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    found = {r for r in walk(get_resolver().url_patterns, "/") if re.search(r"<(\w+:)?token>", r)}
    return {re.sub(r"<\w+:(\w+)>", r"<\1>", route) for route in found}


def test_every_token_route_of_the_urlconf_is_masked():
    routes = token_routes()
    assert "/apply/resume/<token>/" in routes  # the walk finds them at all
    assert routes <= set(TOKEN_ROUTES), routes - set(TOKEN_ROUTES)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("applications:resume", ["RESUMEtoken:1abc:SIG"]),
        ("applications:status", ["STATUStoken:1abc:SIG"]),
        ("followups:survey", ["SURVEYtoken:1abc:SIG"]),
        ("followups:stop", ["STOPtoken:1abc:SIG"]),
        ("newsletter:confirm", ["CONFIRMtoken:1abc:SIG"]),
        ("newsletter:unsubscribe", ["UNSUBtoken:1abc:SIG"]),
        ("newsletter:preferences", ["PREFStoken:1abc:SIG"]),
        ("wagtailadmin_password_reset_confirm", ["MQ", "RESETtoken-abc123"]),
    ],
)
def test_reversed_links_lose_their_token(name, args):
    url = reverse(name, args=args)
    token = args[-1]
    assert token in url
    assert token not in mask(f"GET {url} HTTP/1.1")
    assert mask(url) == url.replace(token, MASK)


@given(route=st.sampled_from(TOKEN_ROUTES), token=TOKENS)
def test_a_token_is_masked_in_the_path_the_referer_and_an_encoded_next(route, token):
    path = route.replace("<uidb64>", "MQ").replace("<token>", token)
    lines = [
        f"GET {path} HTTP/1.1",
        f"GET {path}?utm=x HTTP/1.1",
        f"https://clinic.example{path}",
        f"GET /admin/login/?next={quote(path, safe='')}&x=1 HTTP/1.1",
        f"GET /admin/login/?next={quote(path)} HTTP/1.1",
        f"GET /x/?token={quote(token, safe='')}&y=1 HTTP/1.1",
    ]
    for line in lines:
        masked = mask(line)
        assert token not in masked, line
        assert quote(token, safe="") not in masked, line
        assert MASK in masked


@given(text=st.text(max_size=200))
def test_text_without_a_token_route_is_left_alone(text):
    if not re.search(r"(?i)(apply|followup|newsletter|password_reset|token)", text):
        assert mask(text) == text


def test_the_application_log_masks_a_server_errors_path():
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
        ("/apply/status/SECRETtoken:1x:sig/",), None,
    )  # fmt: skip
    assert MaskTokensFilter().filter(record)
    assert record.getMessage() == "Internal Server Error: /apply/status/<token>/"
