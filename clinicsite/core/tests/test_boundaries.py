"""The models public pages show are registered by their apps (``core.signals.shown_on_pages``
in ``AppConfig.ready``), so core names none of them; the registry holds what each app
registered, and works in whatever order the apps register.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save

import pytest

from clinicsite.core import pagecache, signals

PAGE_MODELS = {
    "content.Person",
    "clinic.Condition",
    "clinic.TreatmentProtocol",
    "clinic.Criterion",
    "clinic.ClinicSettings",
    "core.ClinicImage",
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",
    "wagtaildocs.Document",
}


def _watched(model: type) -> bool:
    # Django has no public "who listens to this sender"; the signal's own lookup is enough here.
    return all(
        pagecache.bump_generation in signal._live_receivers(model)[0]
        for signal in (post_save, post_delete)
    )


def test_the_page_cache_watches_every_model_the_apps_registered():
    assert set(signals.registered_page_models()) == PAGE_MODELS
    for label in PAGE_MODELS:
        assert _watched(apps.get_model(label)), f"{label} is registered but not connected"


@pytest.fixture
def page_registry(monkeypatch):
    """An empty page-model registry for the test, and Group disconnected afterwards."""
    monkeypatch.setattr(signals, "_MODELS", [])
    yield
    post_save.disconnect(sender=Group, dispatch_uid="pagecache.save.auth.Group")
    post_delete.disconnect(sender=Group, dispatch_uid="pagecache.delete.auth.Group")
    assert not _watched(Group)


@pytest.mark.django_db
def test_a_model_registered_after_core_is_ready_is_watched_at_once(page_registry):
    assert not _watched(Group)
    signals.shown_on_pages("auth.Group")
    assert _watched(Group)
    before = pagecache.generation()
    Group.objects.create(name="Shown on pages")
    assert pagecache.generation() > before


def test_a_model_registered_before_core_is_ready_is_watched_when_it_is(page_registry, monkeypatch):
    monkeypatch.setattr(signals, "_connected", False)
    signals.shown_on_pages("auth.Group")
    assert not _watched(Group)
    signals.connect()  # what core's ready does
    assert _watched(Group)
    assert "auth.Group" in signals.registered_page_models()
