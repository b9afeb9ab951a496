"""Second factor for staff who read health data: TOTP enrolment and verification.

Enrolment shows the provisioning QR code as an inline SVG (made locally by ``qrcode``; no
external service) and the key in text, and confirms the device with a first valid code.
"""

from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

import qrcode
import qrcode.image.svg
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicsite.core import audit


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        error_messages={
            "invalid": "Enter the 6 digits shown in your app",
            "required": "Enter the code",
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_svg_data_uri(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/admin/applications/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/admin/"


@never_cache
@login_required(login_url="wagtailadmin_login")
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit.record(action="otp.device_confirmed", obj=device, request=request)
            otp_login(request, device)
            audit.record(action="otp.verified", request=request)
            messages.success(request, "Second factor verified.")
            return redirect(_next(request))
        audit.record(action="otp.failed", request=request)
        form.add_error("token", "That code is not right, or has expired. Try the newest code.")
    context = {"form": form, "enrolling": enrolling, "next": _next(request)}
    if enrolling:
        context["qr"] = _qr_svg_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return TemplateResponse(request, "accounts/admin/otp.html", context)
