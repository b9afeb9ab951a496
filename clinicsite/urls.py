from django.conf import settings
from django.urls import include, path, re_path
from django.views.static import serve

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from clinicsite.content import views as content_views
from clinicsite.content.feeds import ArticlesAtomFeed, ArticlesFeed
from clinicsite.core.views import healthz
from clinicsite.outcomes import views as outcomes_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("apply/", include("clinicsite.applications.urls")),
    path("followup/", include("clinicsite.followups.urls")),
    path("newsletter/", include("clinicsite.newsletter.urls")),
    path("outcomes/", outcomes_views.public_outcomes, name="outcomes"),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", content_views.search, name="search"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", content_views.robots_txt, name="robots_txt"),
    path("feeds/articles.rss", ArticlesFeed(), name="articles_rss"),
    path("feeds/articles.atom", ArticlesAtomFeed(), name="articles_atom"),
]

if getattr(settings, "SERVE_MEDIA", False):
    # Development and demo only; in production nginx serves MEDIA_ROOT.
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]

urlpatterns += [path("", include(wagtail_urls))]
