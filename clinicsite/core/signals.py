"""Start a new page-cache generation whenever something a public page shows changes."""

from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from wagtail.signals import page_published, page_unpublished, post_page_move

from . import pagecache
from .pagecache import bump_generation

PAGE_CONTENT_MODELS = (
    "content.Person",
    "clinic.Condition",
    "clinic.TreatmentProtocol",
    "clinic.Criterion",  # screening rules are remembered too (applications.services)
    "clinic.ClinicSettings",
    "core.ClinicImage",
    "wagtailcore.Site",
    "wagtailcore.PageViewRestriction",  # which sections are private: menus and listings
    "wagtaildocs.Document",
)


def connect() -> None:
    from django.apps import apps

    from wagtail.models import Page

    request_started.connect(pagecache.request_started, dispatch_uid="pagecache.request_started")
    request_finished.connect(pagecache.request_finished, dispatch_uid="pagecache.request_finished")
    page_published.connect(bump_generation, dispatch_uid="pagecache.published")
    page_unpublished.connect(bump_generation, dispatch_uid="pagecache.unpublished")
    post_page_move.connect(bump_generation, dispatch_uid="pagecache.moved")
    post_delete.connect(bump_generation, sender=Page, dispatch_uid="pagecache.page_deleted")
    for label in PAGE_CONTENT_MODELS:
        model = apps.get_model(label)
        post_save.connect(bump_generation, sender=model, dispatch_uid=f"pagecache.save.{label}")
        post_delete.connect(bump_generation, sender=model, dispatch_uid=f"pagecache.delete.{label}")
