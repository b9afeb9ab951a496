"""Test helpers: a staff session that has passed the second factor, without the enrolment flow.

The enrolment and verification forms have their own tests (``accounts/tests``); other apps'
tests only need a session django-otp considers verified.
"""

from __future__ import annotations

import base64
from typing import Any

from django.test import Client

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(device: TOTPDevice) -> str:
    """The device's current TOTP code, as an authenticator app would show it."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrolled_device(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def verified_login(client: Client, user: Any) -> Client:
    """Sign ``client`` in as ``user`` with a verified second factor."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
    session.save()
    return client


SECOND_FACTOR = "/admin/second-factor/"


def enrol_through_forms(client: Client, user: Any, *, next_url: str = "/admin/") -> list[str]:
    """Issue an enrolment and go through the real forms; returns the recovery codes shown."""
    from .second_factor import issue_enrolment

    code = issue_enrolment(user, by=None)
    response = client.post(SECOND_FACTOR, {"code": code, "next": next_url})
    assert response.status_code == 302, response.content
    client.get(SECOND_FACTOR)  # the QR code and key: the unconfirmed device now exists
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SECOND_FACTOR, {"token": code_for(device), "next": next_url})
    assert response.status_code == 200
    assert b"otp-recovery-codes" in response.content
    return [c.decode() for c in _codes(response.content)]


def _codes(content: bytes) -> list[bytes]:
    import re

    block = content.split(b"otp-recovery-codes", 1)[1].split(b"</ul>", 1)[0]
    return re.findall(rb"<code>([a-z2-7]{8})</code>", block)


def enrol_in_browser(page: Any, enrolment_code: str) -> None:
    """On the second-factor page in Playwright: redeem an issued code, add the authenticator
    (its first code read from the key on the page) and pass the recovery codes, as staff do."""
    from playwright.sync_api import expect

    page.get_by_label("Enrolment code from your administrator").fill(enrolment_code)
    page.get_by_role("button", name="Continue").click()
    key = base64.b32decode(page.locator(".otp-secret").inner_text())
    page.get_by_label("6-digit code from your authenticator app").fill(
        f"{totp(key, step=30, t0=0, digits=6):06d}"
    )
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".otp-recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
