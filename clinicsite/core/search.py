"""The one place search queries are cleaned, for the public search and every admin listing.

Wagtail's database backend on SQLite hands the words to FTS5 inside double quotes without
escaping a quote in them, so a lone ``"`` in a search box was a 500 on every admin listing
that searches (pages, images, documents, snippets). NUL bytes cannot be sent to PostgreSQL.
``SearchBackend`` wraps whichever database backend ``modelsearch`` picks for the connection
and cleans every query string before it reaches it; ``WAGTAILSEARCH_BACKENDS`` names it.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

from modelsearch.backends import database

MAX_QUERY_LENGTH = 200  # the public search refuses longer queries with a message
MAX_ADMIN_QUERY_LENGTH = 1000  # admin listings cut them


def clean_query(raw: str) -> str:
    """Drop what means nothing to a reader's search and breaks the query parsers: control and
    format characters (NUL, bidi overrides) and double quotes; line and paragraph separators
    (U+2028, U+2029) become spaces."""
    kept = []
    for ch in raw:
        category = unicodedata.category(ch)
        if category in ("Zl", "Zp"):
            kept.append(" ")
        elif not category.startswith("C") and ch != '"':
            kept.append(ch)
    return "".join(kept).strip()


class _CleaningMixin:
    """Cleans string queries. On SQLite, also ignores ``fields``: that backend passes field
    names to FTS5 as column names, and its table has only title, body and autocomplete
    columns, so ``search_fields = ["name"]`` on an admin listing was a 500 for any query."""

    ignores_fields = False

    def _search(self, query_compiler_class: Any, query: Any, model_or_queryset: Any, **kwargs: Any):  # noqa: ANN202
        if isinstance(query, str):
            query = clean_query(query)[:MAX_ADMIN_QUERY_LENGTH]
            if not any(ch.isalnum() for ch in query):
                # Nothing to look for ("", "-", "*"): PostgreSQL's backend builds no search
                # query from such a string and fails on it; no backend could find anything.
                # The backend's own empty result has no model, which Wagtail's listings need.
                queryset = getattr(model_or_queryset, "objects", model_or_queryset)
                return queryset.none()
        if self.ignores_fields:
            kwargs["fields"] = None
        return super()._search(query_compiler_class, query, model_or_queryset, **kwargs)  # type: ignore[misc]


@functools.cache
def _cleaning(backend_class: type) -> type:
    attrs = {"ignores_fields": backend_class.__name__ == "SQLiteSearchBackend"}
    return type(f"Cleaning{backend_class.__name__}", (_CleaningMixin, backend_class), attrs)


def SearchBackend(params: dict[str, Any]) -> Any:
    """The database backend ``modelsearch`` would choose, with its queries cleaned."""
    inner = database.SearchBackend(params)
    return _cleaning(type(inner))(params)
