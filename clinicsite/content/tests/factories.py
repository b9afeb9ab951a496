"""Helpers that build medical pages and send them through the Medical review workflow."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from wagtail.rich_text import RichText

from clinicsite.content.models import ArticleIndexPage, ArticlePage, Person

SEED = "In one trial of 200 participants, 75% benefited."
_counter = itertools.count()

COMPLETE_CLAIM = {
    "statement": SEED,
    "design": "randomised",
    "participants": 200,
    "result": "75% benefited",
    "control_result": "40% benefited with placebo",
    "source": "Example and colleagues, 2020",
    "doi": "10.1136/annrheumdis-2017-211073",
    "pmid": "",
    "registration": "NCT01539902",
}


def draft_article(body: list[tuple[str, Any]] | None = None, **fields: Any) -> ArticlePage:
    """A new, unpublished article under the demo article index, with one draft revision."""
    today = timezone.localdate()
    reviewer = Person.objects.get(name="Dr Tomas Lindqvist")
    n = next(_counter)
    values = {
        "title": f"Test article {n}",
        "slug": f"test-article-{n}",
        "lede": "What a reader will learn.",
        "body": body if body is not None else [("paragraph", RichText(f"<p>{SEED}</p>"))],
        "author": reviewer,
        "medical_reviewer": reviewer,
        "last_reviewed": today - datetime.timedelta(days=1),
        "next_review_due": today + datetime.timedelta(days=300),
        "live": False,
        **fields,
    }
    page = ArticlePage(**values)
    ArticleIndexPage.objects.get().add_child(instance=page)
    page.save_revision()
    return page


def submit(page: ArticlePage, user: Any) -> Any:
    return page.get_workflow().start(page, user)


def editor(django_user_model: Any, username: str = "ed", group: str = "Editor") -> Any:
    user = django_user_model.objects.create_user(
        username=username, password="x-password-for-tests", email=f"{username}@clinic.example"
    )
    user.groups.add(Group.objects.get(name=group))
    return user
