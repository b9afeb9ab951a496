from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


def _ensure_workflow(sender: Any = None, **kwargs: Any) -> None:
    from .review import ensure_medical_review_workflow

    ensure_medical_review_workflow()


def _assign_workflow_to_section(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        from .review import ensure_medical_review_workflow

        ensure_medical_review_workflow()


class ContentConfig(AppConfig):
    name = "clinicsite.content"
    label = "content"
    verbose_name = "Content"

    def ready(self) -> None:
        from clinicsite.core import signals

        from .models import ArticleIndexPage, ConditionIndexPage

        # Pages show the people they name, in boxes remembered between publishes (core/signals.py).
        signals.shown_on_pages("content.Person")

        # Articles and condition pages are published only through Medical review.
        post_migrate.connect(_ensure_workflow, sender=self, dispatch_uid="content_medical_review")
        for model in (ArticleIndexPage, ConditionIndexPage):
            post_save.connect(
                _assign_workflow_to_section, sender=model, dispatch_uid=f"workflow_{model.__name__}"
            )
