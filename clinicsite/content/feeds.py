"""RSS and Atom feeds of published articles."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from .models import ArticlePage


class ArticlesFeed(Feed):
    title = "Articles"
    link = "/articles/"
    description = "New and updated articles from the clinic."

    def items(self) -> QuerySet[ArticlePage]:
        return (
            ArticlePage.objects.live()
            .public()
            .select_related("author")
            .order_by("-date_published", "-pk")[:20]
        )

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.lede

    def item_link(self, item: ArticlePage) -> str:
        return item.get_url()

    def item_pubdate(self, item: ArticlePage) -> datetime.datetime:
        return datetime.datetime.combine(item.date_published, datetime.time(), tzinfo=datetime.UTC)

    def item_updateddate(self, item: ArticlePage) -> datetime.datetime:
        return item.last_published_at or timezone.now()

    def item_author_name(self, item: ArticlePage) -> str | None:
        return item.author.name if item.author else None


class ArticlesAtomFeed(ArticlesFeed):
    feed_type = Atom1Feed
    subtitle = ArticlesFeed.description
