"""The admin's password reset is limited per address and per client, and says nothing more."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

import pytest

from clinicsite.accounts.forms import RESET_PER_ADDRESS, RESET_PER_CLIENT

pytestmark = pytest.mark.django_db

RESET = "/admin/password_reset/"


def editor(django_user_model, name: str):
    user = django_user_model.objects.create_user(
        name, email=f"{name}@clinic.example", password="correct horse battery"
    )
    user.groups.add(Group.objects.get(name="Editor"))
    return user


def test_one_address_gets_a_few_mails_then_the_same_page_and_no_more(django_user_model):
    editor(django_user_model, "ed")
    answers = []
    for n in range(RESET_PER_ADDRESS[0] + 3):
        # from a different client each time: only the per-address limit can stop these
        client = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")
        response = client.post(RESET, {"email": "ED@clinic.example"})
        answers.append((response.status_code, response["Location"]))
    assert len(mail.outbox) == RESET_PER_ADDRESS[0]
    assert len(set(answers)) == 1  # the throttled answers look exactly like the first one


def test_one_client_cannot_sweep_many_addresses(django_user_model):
    count = RESET_PER_CLIENT[0] + 2
    for n in range(count):
        editor(django_user_model, f"ed{n}")
    client = Client(REMOTE_ADDR="198.51.100.7")
    answers = set()
    for n in range(count):
        response = client.post(RESET, {"email": f"ed{n}@clinic.example"})
        answers.add((response.status_code, response["Location"]))
    assert len(mail.outbox) == RESET_PER_CLIENT[0]
    assert len(answers) == 1
    # someone else, elsewhere, is not held up by that client
    Client(REMOTE_ADDR="192.0.2.9").post(RESET, {"email": f"ed{count - 1}@clinic.example"})
    assert len(mail.outbox) == RESET_PER_CLIENT[0] + 1
