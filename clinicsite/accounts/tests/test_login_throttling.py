"""Admin sign-in throttling (django-axes): a username guessed at from one address is locked out."""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group

import pytest
from axes.models import AccessAttempt

from clinicsite.accounts.testing import verified_login
from clinicsite.core.audit import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-for-tests"
NGINX = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("ed", email="ed@clinic.example")
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def sign_in(client, password, **meta):
    return client.post(
        "/admin/login/", {"username": "ed", "password": password, "next": "/admin/"}, **meta
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_six_wrong_passwords_lock_the_account_out_even_for_the_right_one(client, editor):
    assert settings.AXES_FAILURE_LIMIT == 5
    for attempt in range(1, 5):
        response = sign_in(client, f"wrong-{attempt}", **NGINX)
        assert response.status_code == 200, attempt  # the form again, with its error
        assert b"Too many failed sign-in attempts" not in response.content
    for attempt in (5, 6):
        response = sign_in(client, f"wrong-{attempt}", **NGINX)
        assert response.status_code == 429, attempt
    text = response.content.decode()
    assert "Too many failed sign-in attempts for “ed”" in text
    assert "even with the right password" in text
    assert response["Retry-After"] == "900"

    response = sign_in(client, PASSWORD, **NGINX)
    assert response.status_code == 429
    assert not signed_in(client)

    # the count is per username and address: the same person elsewhere still gets in
    other = sign_in(client, PASSWORD, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert other.status_code == 302
    assert signed_in(client)


def test_the_address_is_the_one_nginx_forwarded(client, editor):
    sign_in(client, "wrong", **NGINX)
    attempt = AccessAttempt.objects.get(username="ed")
    assert attempt.ip_address == "203.0.113.7"
    assert "the-right" not in attempt.post_data  # passwords are never stored


def test_the_lockout_ends_after_the_cool_off(client, editor):
    for attempt in range(6):
        sign_in(client, f"wrong-{attempt}", **NGINX)
    assert sign_in(client, PASSWORD, **NGINX).status_code == 429
    # 15 minutes pass (every refused attempt restarted the wait)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    response = sign_in(client, PASSWORD, **NGINX)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert signed_in(client)
    assert not AccessAttempt.objects.filter(username="ed").exists()  # reset on success


def test_administrators_see_the_lockout_and_can_lift_it(client, editor, django_user_model):
    for attempt in range(6):
        sign_in(client, f"wrong-{attempt}", **NGINX)
    entry = AuditEntry.objects.filter(action="login.locked_out").first()
    assert entry is not None
    assert entry.details == {"username": "ed"}
    assert entry.ip_address == "203.0.113.7"

    admin = django_user_model.objects.create_user("boss", email="boss@clinic.example")
    admin.groups.add(Group.objects.get(name="Administrator"))
    verified_login(client, admin)
    listing = client.get("/admin/sign-in-lockouts/")
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "203.0.113.7" in text
    assert re.search(r">\s*ed\s*<", text)
    assert re.search(r">\s*\d{4}-\d\d-\d\d \d\d:\d\d\s*<", text)  # locked until
    assert "Sign-in lockouts" in client.get("/admin/").content.decode()

    attempt = AccessAttempt.objects.get(username="ed")
    lifted = client.post(f"/admin/sign-in-lockouts/delete/{attempt.pk}/")
    assert lifted.status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, **NGINX).status_code == 302


@pytest.mark.parametrize("role", ["Editor", "Marketing", "Intake coordinator", "Clinician"])
def test_other_staff_do_not_see_lockouts(client, editor, django_user_model, role):
    sign_in(client, "wrong", **NGINX)
    user = django_user_model.objects.create_user(f"u-{role}", email="u@clinic.example")
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    response = client.get("/admin/sign-in-lockouts/")
    assert response.status_code in (302, 403)
    assert b"203.0.113.7" not in response.content
    attempt = AccessAttempt.objects.get(username="ed")
    client.post(f"/admin/sign-in-lockouts/delete/{attempt.pk}/")
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_a_client_written_forwarded_hop_does_not_escape_the_lockout(client, editor):
    """Behind nginx, prepending a fresh address to X-Forwarded-For each try changes nothing."""
    for attempt in range(5):
        sign_in(
            client,
            f"wrong-{attempt}",
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt + 1}, 203.0.113.7",
        )
    response = sign_in(
        client, PASSWORD, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7"
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_without_a_proxy_the_forwarded_header_cannot_escape_the_lockout(client, editor, settings):
    """Straight to the app server (no proxy configured) the header is the client's own text."""
    settings.TRUSTED_PROXY_COUNT = 0
    for attempt in range(5):
        sign_in(
            client,
            f"wrong-{attempt}",
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt + 1}",
        )
    response = sign_in(
        client, PASSWORD, REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429
    assert not signed_in(client)
    entry = AuditEntry.objects.filter(action="login.locked_out").first()
    assert entry.ip_address == "203.0.113.50"


def test_failures_from_two_browsers_are_one_lockout_row_and_lifting_it_lets_them_in(
    client, editor, django_user_model
):
    for attempt in range(3):
        sign_in(client, f"wrong-a{attempt}", HTTP_USER_AGENT="Browser A", **NGINX)
    for attempt in range(2):
        sign_in(client, f"wrong-b{attempt}", HTTP_USER_AGENT="Browser B", **NGINX)
    assert AccessAttempt.objects.filter(username="ed").count() == 2  # axes: one per agent
    assert sign_in(client, PASSWORD, HTTP_USER_AGENT="Browser A", **NGINX).status_code == 429

    admin = django_user_model.objects.create_user("boss", email="boss@clinic.example")
    admin.groups.add(Group.objects.get(name="Administrator"))
    verified_login(client, admin)
    text = client.get("/admin/sign-in-lockouts/").content.decode()
    assert len(re.findall(r">\s*ed\s*<", text)) == 1  # one row for the pair
    # 3 + 2 wrong passwords, and the refused right one (axes counts it too)
    assert re.search(r">\s*6\s*<", text)
    assert "not locked" not in text

    row = AccessAttempt.objects.filter(username="ed").order_by("-attempt_time", "-pk").first()
    assert client.post(f"/admin/sign-in-lockouts/delete/{row.pk}/").status_code == 302
    assert not AccessAttempt.objects.filter(username="ed").exists()  # both rows gone
    lifted = AuditEntry.objects.get(action="login.lockout_lifted")
    assert lifted.actor == admin
    assert lifted.details["username"] == "ed"

    client.logout()
    assert sign_in(client, PASSWORD, HTTP_USER_AGENT="Browser B", **NGINX).status_code == 302
    assert signed_in(client)
