"""Articles: long-form medical writing with its author, reviewer, references and tags."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from clinicsite.clinic.models import ClinicSettings

from ..blocks import BaseStreamBlock
from ..citations import doi_url, normalise_doi, pmid_url, validate_doi, validate_pmid
from ..panels import EvidenceCheckPanel
from .base import IMAGE_MODEL, LINK_FIELDS, BasePage, lazily
from .medical_review import MedicalReviewMixin
from .people import Person


class ArticleIndexPage(BasePage):
    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ArticlePage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        articles = ArticlePage.cards().child_of(self).order_by("-date_published", "-pk")
        tag = request.GET.get("tag", "")[:100]
        if tag:
            articles = articles.filter(tags__name=tag)
        context["tag"] = tag
        context["articles"] = Paginator(articles, 12).get_page(request.GET.get("page"))
        return context


class ArticlePageTag(TaggedItemBase):
    content_object = ParentalKey(
        "content.ArticlePage", related_name="tagged_items", on_delete=models.CASCADE
    )


class ArticleReference(Orderable):
    """A source an article cites; at least one of DOI, PMID or URL makes it findable."""

    page = ParentalKey("content.ArticlePage", related_name="references", on_delete=models.CASCADE)
    authors = models.CharField(max_length=300, help_text="e.g. Liang J, Zhang H, Hua B, et al.")
    title = models.CharField(max_length=400)
    journal = models.CharField(max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    details = models.CharField(max_length=100, blank=True, help_text="Volume, issue and pages.")
    doi = models.CharField("DOI", max_length=200, blank=True, validators=[validate_doi])
    pmid = models.CharField("PMID", max_length=12, blank=True, validators=[validate_pmid])
    url = models.URLField("URL", blank=True)

    panels = [
        FieldPanel("authors"),
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("journal"), FieldPanel("year"), FieldPanel("details")]),
        FieldRowPanel([FieldPanel("doi"), FieldPanel("pmid"), FieldPanel("url")]),
    ]

    def clean(self) -> None:
        super().clean()
        if not (self.doi or self.pmid or self.url):
            raise ValidationError("Give a DOI, a PMID or a URL so readers can find the source.")
        if self.doi:
            self.doi = normalise_doi(self.doi)
        this_year = timezone.localdate().year
        if self.year is not None and not 1800 <= self.year <= this_year + 1:
            raise ValidationError({"year": f"Enter a year between 1800 and {this_year + 1}."})

    @property
    def link(self) -> str:
        if self.doi:
            return doi_url(self.doi)
        if self.pmid:
            return pmid_url(self.pmid)
        return self.url


class ArticlePage(MedicalReviewMixin, BasePage):
    lede = models.TextField(help_text="One or two sentences that say what the reader will learn.")
    hero_image = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BaseStreamBlock())
    author = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    date_published = models.DateField(default=datetime.date.today)
    related_conditions = ParentalManyToManyField(
        "content.ConditionPage", blank=True, related_name="+"
    )
    tags = ClusterTaggableManager(through=ArticlePageTag, blank=True)

    search_fields = [
        *Page.search_fields,
        index.SearchField("lede"),
        index.SearchField("body"),
        index.FilterField("date_published"),
    ]

    content_panels = [
        EvidenceCheckPanel(heading="Evidence check"),
        *Page.content_panels,
        FieldPanel("lede"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
        InlinePanel("references", heading="References", label="Reference"),
    ]
    settings_panels = [
        MultiFieldPanel([FieldPanel("author"), FieldPanel("date_published")], heading="Authorship"),
        *MedicalReviewMixin.review_panels,
        FieldPanel("related_conditions"),
        FieldPanel("tags"),
        *Page.settings_panels,
    ]

    parent_page_types = ["content.ArticleIndexPage"]
    subpage_types: list[str] = []
    serve_select_related = ("author", "medical_reviewer")  # byline and review dates
    card_fields = ("lede", "date_published")

    def clean(self) -> None:
        super().clean()
        self.clean_review_dates()

    @property
    def summary_text(self) -> str:
        return self.search_description or self.lede

    @property
    def og_type(self) -> str:
        return "article"

    @cached_property
    def reference_list(self) -> list[ArticleReference]:
        return list(self.references.all())

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        # Served pages come with author and reviewer (``serve_select_related``); a preview
        # reads both with their photos in one query, not four.
        missing = {
            pk
            for pk, name in (
                (self.author_id, "author"),
                (self.medical_reviewer_id, "medical_reviewer"),
            )
            if pk and not self._meta.get_field(name).is_cached(self)
        }
        if missing:
            people = Person.objects.select_related("photo").in_bulk(missing)
            if self.author_id in people:
                self.author = people[self.author_id]
            if self.medical_reviewer_id in people:
                self.medical_reviewer = people[self.medical_reviewer_id]
        context["condition_pages"] = lazily(
            lambda: self.related_conditions.live().public().only(*LINK_FIELDS)
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "headline": self.title,
            "description": self.lede,
            "url": self.get_full_url(request),
            "datePublished": self.date_published.isoformat(),
            "publisher": {
                "@type": "MedicalClinic",
                "name": ClinicSettings.for_request(request).name,
            },
        }
        if self.author:
            data["author"] = self.author.json_ld()
        if self.medical_reviewer:
            data["reviewedBy"] = self.medical_reviewer.json_ld()
        if self.last_reviewed:
            data["lastReviewed"] = self.last_reviewed.isoformat()
        data["citation"] = [
            {"@type": "ScholarlyArticle", "name": r.title, "author": r.authors, "url": r.link}
            for r in self.reference_list
        ]
        return data
