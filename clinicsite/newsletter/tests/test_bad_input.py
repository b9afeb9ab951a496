"""Hostile input in the newsletter admin: digest subjects with line breaks, CSV formulas."""

from __future__ import annotations

from django.core import mail

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicsite.accounts.testing import verified_login
from clinicsite.content.models import ArticlePage
from clinicsite.newsletter.models import Digest, has_line_break

from . import factories
from .test_admin import DIGESTS, staff

pytestmark = pytest.mark.django_db

BREAKS = ["\r\n", "\n", "\r", "\u2028", "\x85"]


def digest_form(subject: str) -> dict[str, str]:
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    return {
        "subject": subject, "introduction": "", "mode": "chosen", "language": "en",
        "items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000", "items-0-page": str(article.pk), "items-0-ORDER": "1",
        "items-0-id": "", "items-0-DELETE": "",
    }  # fmt: skip


@pytest.mark.parametrize("brk", BREAKS, ids=repr)
def test_a_subject_with_a_line_break_is_refused_when_the_digest_is_saved(
    client, django_user_model, brk
):
    verified_login(client, staff(django_user_model, "Marketing"))
    response = client.post(DIGESTS + "new/", digest_form(f"News{brk}Bcc: everyone@example.org"))
    assert response.status_code == 200  # the form again, with its error
    assert "The subject must be a single line" in response.content.decode()
    assert not Digest.objects.exists()


@pytest.mark.parametrize("brk", BREAKS, ids=repr)
def test_test_sending_a_digest_with_a_broken_subject_says_why_and_sends_nothing(
    client, django_user_model, django_capture_on_commit_callbacks, brk
):
    """A digest stored before the rule existed (or by other code) still cannot go out."""
    verified_login(client, staff(django_user_model, "Marketing", "mia"))
    digest = factories.digest(mode="chosen", subject=f"News{brk}Bcc: everyone@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{DIGESTS}test/{digest.pk}/", follow=True)
        scheduled = client.post(f"{DIGESTS}schedule/{digest.pk}/", {"when": ""}, follow=True)
    assert response.status_code == 200
    assert "The subject has a line break" in response.content.decode()
    assert "The subject has a line break" in scheduled.content.decode()
    assert mail.outbox == []
    digest.refresh_from_db()
    assert digest.status == Digest.Status.DRAFT


@given(st.text())
def test_has_line_break_matches_what_python_splits_lines_on(value):
    assert has_line_break(value) == any(
        ch in value for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"], ids=repr)
def test_subscriber_csv_cells_that_a_spreadsheet_would_run_are_neutralised(
    client, django_user_model, start
):
    import csv
    import io

    address = f"{start}1+1@example.org" if start not in "\t\r" else f"{start}=1+1@example.org"
    factories.subscriber(email=address)
    factories.subscriber(email="plain@example.org")
    verified_login(client, staff(django_user_model, "Marketing"))
    response = client.get(f"{DIGESTS.replace('digests', 'subscribers')}?export=csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    emails = [row[0] for row in rows[1:]]
    assert f"'{address}" in emails
    assert "plain@example.org" in emails  # ordinary cells are left alone
    assert address not in emails
