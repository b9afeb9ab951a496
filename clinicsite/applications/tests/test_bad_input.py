"""What an attacker would type into the applicant's steps: a clear 400 or form error, never a
500, and never their markup echoed back unescaped."""

from __future__ import annotations

from django.core.cache import cache
from django.test import Client

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicsite.applications.models import MedicalRecord
from clinicsite.applications.views import STEP_NAMES, _make_form

from .test_apply_views import ABOUT, CONDITION, HISTORY, post

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        ["\x00", "a\u2028b", '"', "'", "x" * 10_000, "1; DROP TABLE applications; --", SCRIPT]
    ),
)
ACTIONS = st.one_of(
    st.sampled_from(["continue", "back", "save", "upload", "remove:", "remove:abc", "remove:1"]),
    st.text(max_size=40),
    st.text(max_size=30).map(lambda t: f"remove:{t}"),
)
BEFORE = {"about": ABOUT, "condition": CONDITION, "history": HISTORY, "records": {}}


def reach(client: Client, name: str) -> None:
    """Complete every step before ``name`` properly, so the hostile post lands on it."""
    for earlier in STEP_NAMES[: STEP_NAMES.index(name)]:
        assert post(client, earlier, BEFORE[earlier]).status_code == 302


def without_own_scripts(content: bytes) -> bytes:
    return content.replace(b'<script src="/static/js/apply.js"', b"")


@pytest.mark.parametrize("action", ["remove:abc", "remove:", "remove:١٢", "remove:9" * 30])
def test_a_tampered_remove_button_is_a_clear_400(client, action):
    reach(client, "records")
    response = post(client, "records", {}, action=action)
    assert response.status_code == 400
    assert b"That file could not be found" in response.content


def test_remove_still_removes_the_applicants_own_file(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import png_bytes

    reach(client, "records")
    upload = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    assert post(client, "records", {"file": upload}, action="upload").status_code == 200
    record = MedicalRecord.objects.get()
    response = post(client, "records", {}, action=f"remove:{record.pk}")
    assert response.status_code == 302
    assert not MedicalRecord.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("name", STEP_NAMES)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_posts_to_every_step_never_500(name, data):
    cache.clear()  # the per-client limits would otherwise answer 429 after a few examples
    client = Client()
    reach(client, name)
    fields = [key for key in _make_form(name).fields if key != "file"]
    values = {key: data.draw(HOSTILE_TEXT, label=key) for key in fields}
    values["return"] = data.draw(HOSTILE_TEXT, label="return")
    response = post(client, name, values, action=data.draw(ACTIONS, label="action"))
    assert response.status_code < 500
    assert SCRIPT.encode() not in without_own_scripts(response.content)
