"""Staff sign-in leaves a trail: signed in, signed out, wrong password (never the password)."""

from django.contrib.auth.models import Group

import pytest

from clinicsite.core.audit import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "a-right-password-for-the-audit-test"
NGINX = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("ed", email="ed@clinic.example")
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def sign_in(client, password):
    return client.post(
        "/admin/login/", {"username": "ed", "password": password, "next": "/admin/"}, **NGINX
    )


def test_a_wrong_password_is_recorded_with_the_username_tried_and_never_the_password(
    client, editor
):
    sign_in(client, "guessed-password-123")
    entry = AuditEntry.objects.get(action="login.failed")
    assert entry.actor is None
    assert entry.details == {"username": "ed"}
    assert entry.ip_address == "203.0.113.7"  # a staff account's attempt keeps its address
    assert not AuditEntry.objects.filter(details__icontains="guessed").exists()
    assert "guessed" not in str(list(AuditEntry.objects.values()))


def test_signing_in_and_out_is_recorded_against_the_account(client, editor):
    assert sign_in(client, PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(action="login.signed_in")
    assert entry.actor == editor
    assert (entry.object_type, entry.object_id) == ("accounts.user", str(editor.pk))
    assert entry.ip_address == "203.0.113.7"
    assert PASSWORD not in str(list(AuditEntry.objects.values()))

    client.post("/admin/logout/", **NGINX)
    out = AuditEntry.objects.get(action="login.signed_out")
    assert out.actor == editor
    assert out.details == {}


def test_second_factor_checks_are_recorded_for_the_account_without_the_code(
    client, django_user_model
):
    from clinicsite.accounts.testing import SECOND_FACTOR, code_for, enrolled_device

    user = django_user_model.objects.create_user("doc", email="doc@clinic.example")
    user.groups.add(Group.objects.get(name="Clinician"))
    device = enrolled_device(user)
    client.force_login(user)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    client.post(SECOND_FACTOR, {"token": wrong, "next": "/admin/"}, **NGINX)
    failed = AuditEntry.objects.get(action="otp.failed")
    assert failed.actor == user
    assert failed.ip_address == "203.0.113.7"

    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own back-off after the wrong code
    device.throttling_failure_timestamp = None
    device.save()
    right = code_for(device)
    assert (
        client.post(SECOND_FACTOR, {"token": right, "next": "/admin/"}, **NGINX).status_code == 302
    )
    verified = AuditEntry.objects.get(action="otp.verified")
    assert verified.actor == user
    recorded = str(list(AuditEntry.objects.values_list("action", "details")))
    assert right not in recorded
    assert wrong not in recorded
