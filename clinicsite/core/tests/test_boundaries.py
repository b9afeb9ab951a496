"""``core`` knows no domain app: the apps tell it what to cover, in their ``AppConfig.ready``.

A static check over core's source (tests and migrations aside) finds no import of another of
the project's apps and no label of their models; the registries that replace such lists
(pages' models in ``core.signals``, backups' key tables in ``core.backup``, ciphertext in
``core.encrypted``, checked by ``test_encrypted``) hold what each app registered, and work in
whatever order the apps register.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib.auth.models import Group
from django.db.models.signals import post_delete, post_save

import pytest

from clinicsite.core import backup, pagecache, signals

from .source import ROOT, imports, modules

# The project's apps other than core (accounts too: it sits beside core and imports it).
OTHER_APPS = [
    c for c in apps.get_app_configs() if c.name.startswith("clinicsite.") and c.label != "core"
]

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
KEY_TABLES = {
    "accounts.User",
    "applications.Application",
    "applications.ApplicationDraft",
    "applications.MedicalRecord",
    "applications.ClinicianNote",
    "followups.Treatment",
    "followups.Response",
    "followups.AdverseEvent",
    "newsletter.Subscriber",
    "newsletter.ConsentEvent",
    "core.AuditEntry",
    "wagtailcore.Page",
}


def _core_files() -> list:
    files = [
        path
        for path in sorted((ROOT / "core").rglob("*"))
        if path.suffix in {".py", ".html", ".txt"}
        and "tests" not in path.parts
        and "migrations" not in path.parts
    ]
    assert len(files) > 10, "found too few of core's files: the walk is broken"
    return files


def test_core_imports_no_other_app_of_the_project():
    found = list(modules("core"))
    assert any(name == "clinicsite.core.backup" for name, _ in found)
    for module, path in found:
        for name in imports(module, path):
            other = [c.name for c in OTHER_APPS if name == c.name or name.startswith(c.name + ".")]
            assert other == [], f"{module} imports {name}: register it from the app instead"


def test_core_names_no_model_or_module_of_another_app():
    app_labels = "|".join(re.escape(c.label) for c in OTHER_APPS)
    model_labels = "|".join(re.escape(m._meta.label) for c in OTHER_APPS for m in c.get_models())
    names = re.compile(
        rf"\b(?:{model_labels})\b"  # "applications.Application"
        rf"|\b(?:{app_labels})\.[A-Z]\w*"  # "newsletter.Anything" (any case): models, modules
        rf"|clinicsite\.(?:{app_labels})\b",  # a dotted path for import_module and the like
        re.IGNORECASE,
    )
    assert names.search("backup of 'Applications.MedicalRecord'"), "the pattern is broken"
    for path in _core_files():
        text = path.read_text()
        assert names.findall(text) == [], f"{path.relative_to(ROOT)} names another app"


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


def test_backups_count_the_key_tables_every_app_registered():
    assert set(backup.registered_key_tables()) == KEY_TABLES
    # all installed: the manifest counts each
    assert set(backup.database.key_tables()) == KEY_TABLES
