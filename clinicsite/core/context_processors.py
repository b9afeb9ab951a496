"""Template context every page shares."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .pagecache import REMEMBER_SECONDS, fragment_key


def page_fragments(request: HttpRequest) -> dict[str, Any]:
    """``fragment_key`` and ``fragment_seconds`` for ``{% wagtailcache %}`` and
    ``{% wagtailpagecache %}``: ``{% wagtailcache fragment_seconds "name" fragment_key … %}``.

    Every value a cached fragment shows must either start a new cache generation when it
    changes (pages on publishing, people, images, clinic facts: ``core.signals``) or be among
    the fragment's own values. Read only by templates that use it (the key is lazy).
    """
    return {
        "fragment_key": SimpleLazyObject(lambda: fragment_key(request)),
        "fragment_seconds": REMEMBER_SECONDS,
    }
