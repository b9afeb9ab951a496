"""The second factor in the admin: issued enrolment, verification, recovery codes, staff list.

Enrolment shows the provisioning QR code as an inline SVG (made locally by ``qrcode``; no
external service) and the key in text, and confirms the device with a first valid code. It
starts only with an enrolment code an administrator issued (``second_factor``), never from
the password alone.
"""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import qrcode
import qrcode.image.svg
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.core import audit

from . import second_factor
from .access import staff_view

ENROLMENT_SESSION_KEY = "otp.enrolment"
MAX_ENROLMENT_FAILURES = 5


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="6-digit code from your authenticator app, or a recovery code",
        regex=r"^\s*(\d{6}|[A-Za-z2-7]{8})\s*$",
        error_messages={
            "invalid": "Enter the 6 digits shown in your app, or an 8-letter recovery code",
            "required": "Enter the code",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label="Enrolment code from your administrator",
        max_length=32,
        error_messages={"required": "Enter the enrolment code"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def _qr_svg_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/admin/"
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/admin/"


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("next", _next(request))
    return TemplateResponse(request, "accounts/admin/otp.html", context, status=status)


@never_cache
@login_required(login_url="wagtailadmin_login")
def verify(request: HttpRequest) -> HttpResponse:
    """Verify with the authenticator or a recovery code; enrol first if an enrolment is issued."""
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return _enrol(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        if token.isdigit():
            used = device if _check(device, token) else None
        else:
            used = _check_recovery_code(request, token.lower())
        if used is not None:
            otp_login(request, used)
            audit.record(action="otp.verified", request=request)
            messages.success(request, "Second factor verified.")
            return redirect(_next(request))
        audit.record(action="otp.failed", request=request)
        form.add_error("token", "That code is not right, or has expired. Try the newest code.")
    return _render(request, {"form": form, "stage": "verify"})


def _check(device: Any, token: str) -> bool:
    allowed, _ = device.verify_is_allowed()
    return bool(allowed and device.verify_token(token))


def _check_recovery_code(request: HttpRequest, token: str) -> Any | None:
    device = StaticDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None or not _check(device, token):
        return None
    audit.record(
        action="otp.recovery_code_used",
        request=request,
        details={"codes_left": device.token_set.count()},
    )
    return device


def _enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    enrolment = second_factor.pending_enrolment(user)
    if enrolment is None:
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        return _render(request, {"stage": "not-issued"}, status=403)
    if request.session.get(ENROLMENT_SESSION_KEY) != enrolment.pk:
        return _redeem(request, enrolment)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _check(device, form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            enrolment.used_at = timezone.now()
            enrolment.save(update_fields=["used_at"])
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            audit.record(action="otp.device_confirmed", obj=device, request=request)
            otp_login(request, device)
            codes = second_factor.create_recovery_codes(user)
            audit.record(action="otp.recovery_codes_created", request=request)
            return _render(request, {"stage": "recovery-codes", "codes": codes})
        audit.record(action="otp.failed", request=request)
        form.add_error("token", "That code is not right, or has expired. Try the newest code.")
    return _render(
        request,
        {
            "form": form,
            "stage": "enrol",
            "qr": _qr_svg_data_uri(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
        },
    )


def _redeem(request: HttpRequest, enrolment: Any) -> HttpResponse:
    """Ask for the issued code; five wrong ones void the enrolment (audited)."""
    form = EnrolmentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.redeem_enrolment(request.user, form.cleaned_data["code"]):
            TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
            request.session[ENROLMENT_SESSION_KEY] = enrolment.pk
            audit.record(action="otp.enrolment_redeemed", obj=enrolment, request=request)
            return redirect(request.get_full_path())
        enrolment.failures += 1
        audit.record(action="otp.enrolment_failed", obj=enrolment, request=request)
        if enrolment.failures >= MAX_ENROLMENT_FAILURES:
            enrolment.delete()
            return _render(request, {"stage": "not-issued", "voided": True}, status=403)
        enrolment.save(update_fields=["failures"])
        form.add_error("code", "That enrolment code is not right. Check it with whoever issued it.")
    return _render(request, {"form": form, "stage": "redeem"})


# --- administrators: who needs a second factor, issue an enrolment, reset ------------------


def _staff_status(user: Any) -> dict[str, Any]:
    enrolled = second_factor.has_device(user)
    static = StaticDevice.objects.filter(user=user).first()
    return {
        "user": user,
        "enrolled": enrolled,
        "recovery_codes": static.token_set.count() if static else 0,
        "pending": None if enrolled else second_factor.pending_enrolment(user),
    }


@never_cache
@staff_view(second_factor.MANAGE, second_factor=True)
def staff(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    rows = [_staff_status(u) for u in users if second_factor.needs_second_factor(u)]
    audit.record(action="otp.staff_list_viewed", request=request)
    return TemplateResponse(request, "accounts/admin/otp_staff.html", {"rows": rows})


@never_cache
@require_POST
@staff_view(second_factor.MANAGE, second_factor=True)
def issue(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    if second_factor.has_device(person):
        messages.error(request, f"{person} already has a second factor: reset it first.")
        return redirect("accounts_otp:staff")
    code = second_factor.issue_enrolment(person, by=request.user, request=request)
    context = {"person": person, "code": code, "hours": second_factor.enrolment_hours()}
    return TemplateResponse(request, "accounts/admin/otp_issued.html", context)


@never_cache
@require_POST
@staff_view(second_factor.MANAGE, second_factor=True)
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=user_id)
    second_factor.reset_second_factor(person, by=request.user, request=request)
    messages.success(request, f"Second factor of {person} reset: issue a new enrolment.")
    return redirect("accounts_otp:staff")
