"""Site-wide views that are not pages: search and robots.txt."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from wagtail.models import Page

from clinicsite.core.search import MAX_QUERY_LENGTH, clean_query


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Full-text search over live, public pages (Wagtail's database backend)."""
    query = clean_query(request.GET.get("q", ""))
    error = ""
    results = None
    if len(query) > MAX_QUERY_LENGTH:
        error = f"Please shorten your search to {MAX_QUERY_LENGTH} characters or fewer."
    elif query:
        pages = Page.objects.live().public().specific().search(query)
        results = Paginator(pages, 10).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "content/search.html",
        {"query": query, "results": results, "error": error},
        status=400 if error else 200,
    )


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search/", f"Sitemap: {sitemap}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain")
