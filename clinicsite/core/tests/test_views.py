from django.db import DatabaseError
from django.db.backends.utils import CursorWrapper

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_fails_when_the_database_does_not(client, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503


def test_public_pages_carry_a_same_origin_csp(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "http" not in csp  # no other origin is allowed anywhere
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_admin_csp_allows_no_other_origin_and_no_inline_script(client):
    response = client.get("/admin/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self';" in csp + ";"
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "http" not in csp


def test_server_error_page_is_friendly(client, settings):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert b"something went wrong" in response.content.lower()
