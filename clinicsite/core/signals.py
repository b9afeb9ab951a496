"""Start a new page-cache generation whenever something a public page shows changes.

Why a registry: ``core`` must not import the domain apps, yet a page that shows a person, a
condition or the clinic's details must not be served from the cache once that row changes.
Each app whose rows public pages show (or that ``pagecache.remember`` keeps) declares those
models with ``shown_on_pages`` in its ``AppConfig.ready``; saving or deleting one then bumps
the generation. Registration order does not matter: a model declared before core's ``ready``
is connected there, one declared after it is connected at once.
"""

from __future__ import annotations

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from wagtail.signals import page_published, page_unpublished, post_page_move

from . import pagecache
from .pagecache import bump_generation

__all__ = ["connect", "registered_page_models", "shown_on_pages"]

# What core itself knows pages show: its images and Wagtail's sites, privacy and documents.
_CORE_MODELS = (
    "core.ClinicImage",
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",  # which sections are private: menus and listings
    "wagtaildocs.Document",
)

_MODELS: list[str] = []
_connected = False


def shown_on_pages(*labels: str) -> None:
    """Declare models ("app_label.ModelName") whose rows public pages show or remember."""
    for label in labels:
        if label not in _MODELS:
            _MODELS.append(label)
            if _connected:
                _watch(label)


def registered_page_models() -> list[str]:
    """A copy of the registry, so a test can check what the apps declared."""
    return list(_MODELS)


def _watch(label: str) -> None:
    """Bump the generation on every save or delete of this model (a typo fails at start)."""
    from django.apps import apps

    model = apps.get_model(label)
    post_save.connect(bump_generation, sender=model, dispatch_uid=f"pagecache.save.{label}")
    post_delete.connect(bump_generation, sender=model, dispatch_uid=f"pagecache.delete.{label}")


def connect() -> None:
    """Connect the page cache's receivers (core's ``ready``), every model registered so far
    included; later registrations connect themselves."""
    global _connected

    from wagtail.models import Page

    request_started.connect(pagecache.request_started, dispatch_uid="pagecache.request_started")
    request_finished.connect(pagecache.request_finished, dispatch_uid="pagecache.request_finished")
    page_published.connect(bump_generation, dispatch_uid="pagecache.published")
    page_unpublished.connect(bump_generation, dispatch_uid="pagecache.unpublished")
    post_page_move.connect(bump_generation, dispatch_uid="pagecache.moved")
    post_delete.connect(bump_generation, sender=Page, dispatch_uid="pagecache.page_deleted")
    shown_on_pages(*_CORE_MODELS)
    for label in _MODELS:
        _watch(label)
    _connected = True
