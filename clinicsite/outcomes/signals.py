"""New follow-up data refreshes the statistics and every cached page that shows them."""

from django.db.models.signals import post_delete, post_save

from clinicsite.core.pagecache import bump_generation

from .selectors import invalidate


def _changed(**kwargs: object) -> None:
    invalidate()
    bump_generation()


def connect() -> None:
    from clinicsite.followups.models import AdverseEvent, Invitation, Response, Treatment

    for model in (Response, AdverseEvent, Treatment, Invitation):
        post_save.connect(_changed, sender=model, dispatch_uid=f"outcomes.save.{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"outcomes.delete.{model.__name__}"
        )
