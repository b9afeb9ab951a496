"""The second factor cannot be walked around: issued enrolment, recovery codes, reset, every
/admin/ request held, and no e-mailed password reset for the accounts that need it."""

from __future__ import annotations

import base64
import io
import re

from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings

import pytest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.accounts import second_factor
from clinicsite.accounts.testing import (
    SECOND_FACTOR,
    code_for,
    enrol_through_forms,
    verified_login,
)
from clinicsite.core.audit import AuditEntry

pytestmark = pytest.mark.django_db


def staff(django_user_model, username, *roles, **fields):
    user = django_user_model.objects.create_user(
        username, email=f"{username}@clinic.example", password="a-long-test-password", **fields
    )
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def password_only(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("roles", "fields", "needed"),
    [
        (("Editor",), {}, False),
        (("Marketing",), {}, True),  # the subscriber list: names and addresses
        (("Intake coordinator",), {}, True),  # the queue: names beside conditions
        (("Clinician",), {}, True),
        (("Administrator",), {}, True),
        ((), {"is_superuser": True}, True),
    ],
)
def test_who_needs_a_second_factor(django_user_model, roles, fields, needed):
    user = staff(django_user_model, "someone", *roles, **fields)
    assert second_factor.needs_second_factor(user) is needed


def test_a_first_password_only_sign_in_cannot_register_a_device(django_user_model):
    user = staff(django_user_model, "dr-new", "Clinician")
    client = password_only(user)
    response = client.get(SECOND_FACTOR)
    assert response.status_code == 403
    assert "Ask an administrator to issue you an enrolment code" in response.content.decode()
    assert b"otp-secret" not in response.content
    assert not TOTPDevice.objects.filter(user=user).exists()
    # a forged token post registers nothing either
    assert client.post(SECOND_FACTOR, {"token": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_an_issued_enrolment_adds_a_device_and_shows_recovery_codes_once(django_user_model):
    user = staff(django_user_model, "dr-enrol", "Clinician")
    client = password_only(user)
    codes = enrol_through_forms(client, user, next_url="/admin/applications/")
    assert len(codes) == second_factor.RECOVERY_CODES
    assert len(set(codes)) == len(codes)
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get("/admin/applications/").status_code == 200
    assert second_factor.pending_enrolment(user) is None  # used: it cannot enrol a second phone
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"otp.enrolment_issued", "otp.enrolment_redeemed", "otp.device_confirmed"} <= actions
    assert b"otp-recovery-codes" not in client.get(SECOND_FACTOR).content  # shown only once


def test_wrong_enrolment_codes_keep_what_was_typed_and_five_void_it(django_user_model):
    user = staff(django_user_model, "dr-guess", "Intake coordinator")
    second_factor.issue_enrolment(user, by=None)
    client = password_only(user)
    response = client.post(SECOND_FACTOR, {"code": "AAAA-BBBB-CCCC"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "That enrolment code is not right" in text
    assert 'value="AAAA-BBBB-CCCC"' in text
    for _ in range(4):
        response = client.post(SECOND_FACTOR, {"code": "AAAA-BBBB-CCCC"})
    assert response.status_code == 403
    assert "no longer works" in response.content.decode()
    assert second_factor.pending_enrolment(user) is None
    assert AuditEntry.objects.filter(action="otp.enrolment_failed").count() == 5


def test_an_expired_enrolment_opens_nothing(django_user_model):
    user = staff(django_user_model, "dr-late", "Clinician")
    with override_settings(SECOND_FACTOR_ENROLMENT_HOURS=-1):
        code = second_factor.issue_enrolment(user, by=None)
    client = password_only(user)
    assert client.post(SECOND_FACTOR, {"code": code}).status_code == 403


def test_a_recovery_code_opens_the_admin_once(django_user_model):
    user = staff(django_user_model, "dr-lost-phone", "Clinician")
    codes = enrol_through_forms(password_only(user), user)
    client = password_only(user)
    response = client.post(SECOND_FACTOR, {"token": codes[0], "next": "/admin/applications/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/applications/"
    assert client.get("/admin/applications/").status_code == 200
    again = password_only(user).post(SECOND_FACTOR, {"token": codes[0]})
    assert again.status_code == 200
    assert "That code is not right" in again.content.decode()
    entry = AuditEntry.objects.get(action="otp.recovery_code_used")
    assert entry.details == {"codes_left": second_factor.RECOVERY_CODES - 1}


def test_a_password_only_superuser_cannot_make_itself_a_clinician(django_user_model):
    """Wagtail's user management is held too, not only the project's own views."""
    root = staff(django_user_model, "root", is_superuser=True, is_staff=True)
    client = password_only(root)
    clinician = Group.objects.get(name="Clinician")
    listing = client.get("/admin/users/")
    assert listing.status_code == 302
    assert listing["Location"].startswith(SECOND_FACTOR + "?next=")
    response = client.post(
        f"/admin/users/{root.pk}/",
        {
            "username": "root",
            "email": "root@clinic.example",
            "first_name": "R",
            "last_name": "Oot",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [clinician.pk],
        },
    )
    assert response.status_code == 403
    assert not root.groups.filter(pk=clinician.pk).exists()
    background = client.get("/admin/", headers={"x-requested-with": "XMLHttpRequest"})
    assert background.status_code == 403


def test_administrators_issue_and_reset_second_factors_in_the_admin(django_user_model):
    admin = staff(django_user_model, "boss", "Administrator")
    nurse = staff(django_user_model, "nurse", "Intake coordinator")
    editor = staff(django_user_model, "ed", "Editor")
    unverified = password_only(admin)
    assert unverified.get("/admin/second-factor/staff/")["Location"].startswith(SECOND_FACTOR)
    assert verified_login(Client(), editor).get("/admin/second-factor/staff/").status_code == 403

    client = verified_login(Client(), admin)
    listing = client.get("/admin/second-factor/staff/").content.decode()
    assert "nurse" in listing
    assert "None: cannot use the admin" in listing
    assert "ed<" not in listing  # editors need none
    issued = client.post(f"/admin/second-factor/staff/{nurse.pk}/issue/").content.decode()
    code = re.search(r'class="otp-enrolment-code">([0-9A-F-]+)<', issued).group(1)
    assert second_factor.redeem_enrolment(nurse, code) is not None
    entry = AuditEntry.objects.get(action="otp.enrolment_issued")
    assert (entry.actor, entry.details["for"]) == (admin, "nurse")

    enrol_through_forms(password_only(nurse), nurse)
    assert StaticDevice.objects.filter(user=nurse).exists()
    client.post(f"/admin/second-factor/staff/{nurse.pk}/reset/")
    assert not TOTPDevice.objects.filter(user=nurse).exists()
    assert not StaticDevice.objects.filter(user=nurse).exists()
    reset = AuditEntry.objects.get(action="otp.device_reset")
    assert (reset.actor, reset.details["for"]) == (admin, "nurse")
    assert password_only(nurse).get(SECOND_FACTOR).status_code == 403  # a new issue needed


@pytest.mark.parametrize(("roles", "mailed"), [(("Editor",), True), (("Clinician",), False)])
def test_no_emailed_password_reset_for_second_factor_accounts(django_user_model, roles, mailed):
    staff(django_user_model, "someone", *roles)
    response = Client().post("/admin/password_reset/", {"email": "someone@clinic.example"})
    assert response.status_code == 302  # the same answer either way: nothing is revealed
    assert (len(mail.outbox) == 1) is mailed


def test_issue_second_factor_command_enrols_the_first_administrator(django_user_model):
    root = staff(django_user_model, "first", is_superuser=True)
    out = io.StringIO()
    call_command("issue_second_factor", "first", stdout=out)
    assert second_factor.redeem_enrolment(root, out.getvalue().strip()) is not None


def test_the_demo_admin_gets_a_totp_key_it_can_use(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("ensure_demo_admin", stdout=out)
    first = out.getvalue()
    key = re.search(r"authenticator app: ([A-Z2-7]+)", first).group(1)
    assert "otpauth://totp/" in first
    assert f"secret={key}" in first
    device = TOTPDevice.objects.get(user__username="admin", confirmed=True)
    assert base64.b32encode(device.bin_key).decode() == key
    client = Client()
    client.post(
        "/admin/login/",
        {"username": "admin", "password": re.search(r"password: (\S+)", first).group(1)},
    )
    response = client.post(SECOND_FACTOR, {"token": code_for(device), "next": "/admin/users/"})
    assert response["Location"] == "/admin/users/"
    assert client.get("/admin/users/").status_code == 200
    again = io.StringIO()
    call_command("ensure_demo_admin", stdout=again)
    assert again.getvalue() == first  # kept across re-runs, like the password
