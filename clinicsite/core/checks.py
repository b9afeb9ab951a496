"""System checks (``manage.py check --deploy`` runs them in CI): private files stay private."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register("security", deploy=False)
def private_media_has_no_public_url(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``PRIVATE_MEDIA_ROOT`` must not lie inside (or contain) a directory served publicly."""
    private = Path(settings.PRIVATE_MEDIA_ROOT).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = Path(getattr(settings, name)).resolve()
        if private == public or private.is_relative_to(public) or public.is_relative_to(private):
            errors.append(
                Error(
                    f"PRIVATE_MEDIA_ROOT ({private}) overlaps {name} ({public}), which is "
                    "served without any permission check.",
                    hint="Keep private files in a directory of their own, outside both.",
                    id="clinicsite.E001",
                )
            )
    return errors
