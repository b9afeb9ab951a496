"""Who asks, in the admin access test: staff members of each role, signed in with or without a
second factor, and what an answer to them shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.test import Client

from clinicsite.accounts.roles import ADMINISTRATOR, CLINICIAN, EDITOR, INTAKE, MARKETING
from clinicsite.accounts.testing import enrol_through_forms

LOGIN = "/admin/login/"
SECOND_FACTOR = "/admin/second-factor/"


# --- who asks ------------------------------------------------------------------------------


def member(django_user_model, username: str, *roles: str, **fields: Any):
    user = django_user_model.objects.create_user(username, email=f"{username}@clinic.example")
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def signed_in(user, *, second_factor: bool) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    if second_factor:  # an issued enrolment, then TOTP, through the real forms
        enrol_through_forms(client, user)
    return client


def build_people(django_user_model: Any) -> dict[str, Any]:
    bare = member(django_user_model, "bare")
    bare.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return {
        "bare": bare,
        EDITOR: member(django_user_model, "editor", EDITOR),
        MARKETING: member(django_user_model, "marketing", MARKETING),
        INTAKE: member(django_user_model, "intake", INTAKE),
        CLINICIAN: member(django_user_model, "clinician", CLINICIAN),
        ADMINISTRATOR: member(django_user_model, "administrator", ADMINISTRATOR),
        "superuser": member(django_user_model, "root", is_superuser=True, is_staff=True),
    }


NEEDS_SECOND_FACTOR = {INTAKE, MARKETING, CLINICIAN, ADMINISTRATOR, "superuser"}  # personal data


@dataclass
class Answer:
    method: str
    status: int
    location: str
    messages: list[str]
    text: str
    script_src: str  # the script-src directive of its Content-Security-Policy

    def refused(self) -> bool:
        """403, 404 or a redirect to sign-in, the second factor or Wagtail's "no permission"."""
        if self.status in (403, 404):
            return True
        if self.status in (301, 302):
            if self.location.startswith((LOGIN, SECOND_FACTOR)):
                return True
            return self.location == "/admin/" and any("permission" in m for m in self.messages)
        return False

    def __str__(self) -> str:
        where = f" -> {self.location}" if self.location else ""
        return f"{self.method} {self.status}{where}"


def ask(client: Client, url: str, *, post: bool = True) -> Answer:
    """GET, or an empty POST where the view takes only POST (unless ``post`` is false)."""
    response = client.get(url)
    method = "GET"
    if response.status_code == 405 and post:
        response = client.post(url, {})
        method = "POST"
    return Answer(
        method=method,
        status=response.status_code,
        location=urlsplit(response.get("Location", "")).path,
        messages=[str(m) for m in get_messages(response.wsgi_request)],
        text="" if response.streaming else response.content.decode(errors="replace"),
        script_src=" ".join(
            d for d in response.get("Content-Security-Policy", "").split(";") if "script-src" in d
        ),
    )
