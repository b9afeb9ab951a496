"""Idle logout: only a person's requests keep a second-factor session alive.

The editing-session pings Wagtail's edit views send every ten seconds must not reset the timer,
and one that arrives past the limit ends the session instead of extending it.
"""

from __future__ import annotations

import time

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.test import Client

from wagtail.models import Page

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.accounts.middleware import SESSION_KEY, idle_limit_text
from clinicsite.accounts.roles import ADMINISTRATOR, CLINICIAN, EDITOR, INTAKE, MARKETING
from clinicsite.accounts.testing import verified_login

pytestmark = pytest.mark.django_db

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


def staff(django_user_model, username: str, role: str) -> Client:
    user = django_user_model.objects.create_user(username, email=f"{username}@clinic.example")
    user.groups.add(Group.objects.get(name=role))
    return verified_login(Client(), user)


def idle_for(client: Client, seconds: float) -> None:
    session = client.session
    session[SESSION_KEY] = time.time() - seconds
    session.save()


def last_activity(client: Client) -> float:
    return float(client.session[SESSION_KEY])


def ping_url() -> str:
    page = Page.objects.filter(depth__gt=1).live().first()
    ct = ContentType.objects.get_for_model(Page)
    return f"/admin/editing-sessions/ping/{ct.app_label}/{ct.model}/{page.pk}/0/"


def editor_clinician(django_user_model) -> Client:
    """A clinician who may also edit pages, so the ping reaches Wagtail's view and succeeds."""
    user = django_user_model.objects.create_user("dr-edit", email="dr-edit@clinic.example")
    user.groups.add(*Group.objects.filter(name__in=[CLINICIAN, EDITOR]))
    return verified_login(Client(), user)


def test_editing_session_pings_do_not_reset_the_idle_timer(django_user_model, settings):
    client = editor_clinician(django_user_model)
    assert client.get("/admin/").status_code == 200
    idle_for(client, 600)
    before = last_activity(client)
    response = client.post(ping_url(), {}, **XHR)
    assert response.status_code == 200, response.content  # Wagtail answered the ping
    assert last_activity(client) == before  # still ten minutes ago


def test_a_ping_past_the_limit_signs_the_session_out_with_a_401(django_user_model, settings):
    client = editor_clinician(django_user_model)
    assert client.get("/admin/").status_code == 200
    idle_for(client, settings.HEALTH_DATA_IDLE_SECONDS + 1)
    response = client.post(ping_url(), {}, **XHR)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_persons_request_resets_the_timer(django_user_model):
    client = staff(django_user_model, "dr-busy", CLINICIAN)
    client.get("/admin/")
    idle_for(client, 600)
    assert client.get("/admin/applications/").status_code == 200
    assert time.time() - last_activity(client) < 5  # just now


@pytest.mark.parametrize("role", [INTAKE, MARKETING, ADMINISTRATOR, CLINICIAN])
def test_every_second_factor_role_is_signed_out_when_idle(django_user_model, settings, role):
    client = staff(django_user_model, f"idle-{role.split()[0].lower()}", role)
    assert client.get("/admin/").status_code == 200
    idle_for(client, settings.HEALTH_DATA_IDLE_SECONDS + 1)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302  # really signed out


def test_an_editor_is_not_held_to_the_limit(django_user_model, settings):
    client = staff(django_user_model, "idle-editor", EDITOR)
    client.get("/admin/")
    idle_for(client, settings.HEALTH_DATA_IDLE_SECONDS + 1)
    assert client.get("/admin/").status_code == 200


def test_the_message_names_the_configured_limit(django_user_model, settings):
    settings.HEALTH_DATA_IDLE_SECONDS = 300
    client = staff(django_user_model, "dr-five", CLINICIAN)
    client.get("/admin/")
    idle_for(client, 301)
    response = client.get("/admin/", follow=True)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert "You were signed out after 5 minutes without activity." in shown


@given(st.integers(min_value=1, max_value=10**6))
def test_idle_limit_text_reads_back_to_the_limit(seconds):
    number, unit = idle_limit_text(seconds).split()
    assert int(number) * (60 if unit.startswith("minute") else 1) == seconds
    assert unit.endswith("s") == (int(number) != 1)
