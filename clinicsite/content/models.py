"""Public content: articles, conditions, patient stories, the clinic profile and their people.

Page models follow Wagtail's documented order: fields, search fields, panels, parent/subpage
rules, then methods.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import FileExtensionValidator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property

from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.models import (
    Orderable,
    Page,
    PageManager,
    PageViewRestriction,
    Task,
    TaskState,
)
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.url_routing import RouteResult

from clinicsite.clinic.models import ClinicSettings, Condition, TreatmentProtocol
from clinicsite.clinic.questions import protocol_questions
from clinicsite.core.pagecache import remember
from clinicsite.core.storage import PrivateStorage
from clinicsite.outcomes.selectors import card_for

from .blocks import RICH_TEXT_FEATURES, BaseStreamBlock
from .citations import doi_url, normalise_doi, pmid_url, validate_doi, validate_pmid
from .panels import EvidenceCheckPanel

IMAGE_MODEL = "core.ClinicImage"


# --- People -----------------------------------------------------------------------------------


class Person(index.Indexed, models.Model):
    """An author or medical reviewer, with the credentials readers need to judge them."""

    name = models.CharField(max_length=150)
    job_title = models.CharField(
        "title", max_length=150, help_text="e.g. Consultant rheumatologist"
    )
    credentials = models.CharField(
        max_length=200, blank=True, help_text="Degrees and qualifications, e.g. MD, PhD, FRCP."
    )
    is_clinician = models.BooleanField(
        default=False, help_text="Holds a current clinical licence (required of medical reviewers)."
    )
    registration = models.CharField(
        "professional registration",
        max_length=150,
        blank=True,
        help_text="Licensing body and number, e.g. 'Medical Council no. 000000'.",
    )
    memberships = models.TextField(blank=True, help_text="Professional memberships, one per line.")
    email = models.EmailField(
        blank=True,
        help_text="Where review reminders go. Never shown on the site.",
    )
    bio = RichTextField(features=RICH_TEXT_FEATURES, blank=True)
    photo = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("job_title"),
        FieldPanel("credentials"),
        FieldRowPanel([FieldPanel("is_clinician"), FieldPanel("registration")]),
        FieldPanel("email"),
        FieldPanel("memberships"),
        FieldPanel("bio"),
        FieldPanel("photo"),
    ]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    @property
    def membership_list(self) -> list[str]:
        return [line.strip() for line in self.memberships.splitlines() if line.strip()]

    def json_ld(self) -> dict[str, Any]:
        kind = "Physician" if self.is_clinician else "Person"
        data: dict[str, Any] = {"@type": kind, "name": self.name, "jobTitle": self.job_title}
        if self.credentials:
            data["honorificSuffix"] = self.credentials
        if self.membership_list:
            data["memberOf"] = [{"@type": "Organization", "name": m} for m in self.membership_list]
        return data


# --- Shared page behaviour ---------------------------------------------------------------------


def private_sections() -> list[tuple[str, int]]:
    """(path, depth) of every page with a view restriction, read once per cache generation.

    Wagtail reads the restrictions afresh each time ``.public()`` is called and again before
    serving each page; saving or deleting a restriction bumps the generation.
    """
    return remember(
        "private-sections",
        lambda: list(PageViewRestriction.objects.values_list("page__path", "page__depth")),
    )


class ClinicPageQuerySet(PageQuerySet):
    def private_q(self) -> models.Q:
        """Wagtail's test for pages in a private section, from the remembered restrictions."""
        q = models.Q()
        for path, depth in private_sections():
            q |= models.Q(path__startswith=path) & models.Q(depth__gte=depth)
        return q if q else models.Q(pk__in=[])


ClinicPageManager = PageManager.from_queryset(ClinicPageQuerySet)


def lazily(build: Callable[[], Iterable[Any]]) -> Any:
    """A list that is built the first time a template uses it.

    Listings sit inside ``{% remember %}`` fragments: while the fragment is remembered, its
    queryset is never built or run.
    """
    return SimpleLazyObject(lambda: list(build()))


# What content/includes/page_card.html shows of any page; page types add their summary field.
CARD_FIELDS = ("title", "url_path", "search_description", "listing_image")
CARD_RENDITION = "fill-480x270"  # keep in step with page_card.html

# What a link to a page shows: its title and address.
LINK_FIELDS = ("title", "url_path")

# What routing needs of the pages along a URL (and templates of a page's parent, for links).
ROUTE_FIELDS = ("title", "slug", "live", "url_path", "path", "depth", "numchild", "content_type")


def _specific_for_serving(page: Page) -> Page:
    """``page.specific``, with the related rows its template shows read in the same query."""
    cls = page.specific_class
    if cls is None or not issubclass(cls, BasePage):
        return page.specific
    if isinstance(page, cls) and not page.get_deferred_fields():
        return page
    queryset = cls.objects.all()
    if cls.serve_select_related:  # select_related() without names would follow every key
        queryset = queryset.select_related(*cls.serve_select_related)
    specific = queryset.get(pk=page.pk)
    if "_cached_parent_obj" in page.__dict__:
        specific._cached_parent_obj = page._cached_parent_obj
    return specific


def _routes_itself(cls: type[Page] | None) -> bool:
    """True for a page type with its own ``route`` (it must see the rest of the URL)."""
    return cls is not None and cls.route not in (Page.route, BasePage.route)


class BasePage(Page):
    """Open Graph and JSON-LD for every public page; subclasses say what they are about."""

    listing_image = models.ForeignKey(
        IMAGE_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown in listings and when the page is shared.",
    )

    promote_panels = [*Page.promote_panels, FieldPanel("listing_image")]

    objects = ClinicPageManager()
    # ``route`` reads the page in full when it arrives deferred (core.WagtailSiteMiddleware).
    reads_itself_when_routed = True
    # Foreign keys the page's template shows on every render, fetched with the page when it is
    # served. Those shown only inside ``{% remember %}`` fragments (the listing image in the
    # page's metadata, heroes, people's boxes) are read when the fragment is rendered.
    serve_select_related: tuple[str, ...] = ()
    # Fields a card of this page type shows besides CARD_FIELDS (its summary, its meta line);
    # anything else a card reads would cost a query per card.
    card_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def cards(cls) -> ClinicPageQuerySet:
        """Live, public pages of this type for a listing: only the columns a card shows, with
        the listing image and its card rendition read for all cards at once, so a listing
        costs the same few queries however many pages it shows."""
        renditions = (
            get_image_model().get_rendition_model().objects.filter(filter_spec=CARD_RENDITION)
        )
        return (
            cls.objects.live()
            .public()
            .only(*CARD_FIELDS, *cls.card_fields)
            .select_related("listing_image")
            .prefetch_related(models.Prefetch("listing_image__renditions", queryset=renditions))
        )

    def route(self, request: HttpRequest, path_components: list[str]) -> RouteResult:
        """Find the page a URL names with one query for every page on its path.

        Wagtail's own ``route`` reads each child by slug and then its specific object: two
        queries per URL segment. Here the pages below this one are read together by
        ``url_path`` (and remembered for the cache generation) and only the last one's
        specific object is fetched. A page type with its
        own ``route`` on the way still receives the rest of the URL, and if the stored URL
        paths disagree with the tree, Wagtail's walk decides.
        """
        if not path_components:
            if self.get_deferred_fields():  # the site's root page, so far only a router
                return super(BasePage, _specific_for_serving(self)).route(request, [])
            return super().route(request, path_components)
        prefixes, url_path = [], self.url_path
        for component in path_components:
            url_path += component + "/"
            prefixes.append(url_path)
        below = Page.objects.filter(
            url_path__in=prefixes, path__startswith=self.path, depth__gt=self.depth
        ).only(*ROUTE_FIELDS)
        # Remembered for published URLs only: publishing, moving or unpublishing a page bumps
        # the generation, and URLs nobody published must not fill the cache.
        found = remember(
            "route:"
            + hashlib.sha256(f"{self.path}|{'/'.join(path_components)}".encode()).hexdigest(),
            lambda: {page.url_path: page for page in below},
            keep=lambda pages: len(pages) == len(prefixes),
        )
        parent: Page = self
        for index_, url_path in enumerate(prefixes):
            page = found.get(url_path)
            if page is None or page.path[: -Page.steplen] != parent.path:
                return super().route(request, path_components)  # raises Http404 if missing
            page._cached_parent_obj = parent
            remaining = path_components[index_ + 1 :]
            if remaining and not _routes_itself(page.specific_class):
                parent = page
                continue
            return _specific_for_serving(page).route(request, remaining)
        raise AssertionError("unreachable")

    def get_view_restrictions(self) -> models.QuerySet:
        """No query at all while no page on the site is private (the usual case)."""
        if not private_sections():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    @property
    def summary_text(self) -> str:
        """One or two sentences for listings, meta descriptions and Open Graph."""
        return self.search_description or getattr(self, "introduction", "")

    @property
    def og_type(self) -> str:
        return "website"

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return None

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["clinic"] = ClinicSettings.for_request(request)
        # Listings of stories depend on the date (consent lapses): remembered parts vary on it.
        context["today"] = timezone.localdate()
        return context


class MedicalReviewMixin(models.Model):
    """Who checked a medical page and when it must be checked again."""

    medical_reviewer = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True)

    review_panels = [
        MultiFieldPanel(
            [
                FieldPanel("medical_reviewer"),
                FieldRowPanel([FieldPanel("last_reviewed"), FieldPanel("next_review_due")]),
            ],
            heading="Medical review",
        )
    ]

    class Meta:
        abstract = True

    def clean_review_dates(self) -> None:
        if (
            self.last_reviewed
            and self.next_review_due
            and self.next_review_due <= self.last_reviewed
        ):
            raise ValidationError(
                {"next_review_due": "The next review must come after the last one."}
            )

    @property
    def review_overdue(self) -> bool:
        return bool(self.next_review_due and self.next_review_due < timezone.localdate())


# --- Home -------------------------------------------------------------------------------------


class HomePage(BasePage):
    hero_heading = models.CharField(max_length=200)
    hero_text = models.TextField(blank=True)
    hero_image = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BaseStreamBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("hero_heading"), FieldPanel("hero_text"), FieldPanel("hero_image")],
            heading="Hero",
        ),
        FieldPanel("body"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["latest_articles"] = lazily(
            lambda: ArticlePage.cards().order_by("-date_published")[:3]
        )
        context["conditions"] = lazily(lambda: ConditionPage.cards().order_by("title"))
        context["stories"] = lazily(
            lambda: current_stories(
                PatientStoryPage.cards().select_related("condition").order_by("-first_published_at")
            )[:3]
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return clinic_json_ld(request)


def clinic_json_ld(request: HttpRequest) -> dict[str, Any]:
    clinic = ClinicSettings.for_request(request)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": clinic.name,
        "url": request.build_absolute_uri("/"),
        "address": clinic.postal_address_ld(),
    }
    if clinic.phone:
        data["telephone"] = clinic.phone
    if clinic.email:
        data["email"] = clinic.email
    return data


# --- Articles ---------------------------------------------------------------------------------


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


# --- Conditions -------------------------------------------------------------------------------


class ConditionIndexPage(BasePage):
    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ConditionPage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["condition_pages"] = ConditionPage.cards().child_of(self).order_by("title")
        return context


class ConditionPage(MedicalReviewMixin, BasePage):
    condition = models.OneToOneField(Condition, on_delete=models.PROTECT, related_name="page")
    summary = models.TextField(help_text="What the condition is, in two or three plain sentences.")
    overview = StreamField(BaseStreamBlock(), blank=True)
    standard_of_care = StreamField(BaseStreamBlock(), blank=True)
    evidence = StreamField(BaseStreamBlock(), blank=True, verbose_name="what the evidence says")

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("overview"),
        index.SearchField("evidence"),
    ]

    content_panels = [
        EvidenceCheckPanel(heading="Evidence check"),
        *Page.content_panels,
        FieldPanel("condition"),
        FieldPanel("summary"),
        FieldPanel("overview"),
        FieldPanel("standard_of_care"),
        FieldPanel("evidence"),
    ]
    settings_panels = [*MedicalReviewMixin.review_panels, *Page.settings_panels]

    parent_page_types = ["content.ConditionIndexPage"]
    subpage_types: list[str] = []
    serve_select_related = ("medical_reviewer",)  # review dates
    card_fields = ("summary",)

    def clean(self) -> None:
        super().clean()
        self.clean_review_dates()

    @property
    def summary_text(self) -> str:
        return self.search_description or self.summary

    @cached_property
    def protocols(self) -> list[TreatmentProtocol]:
        """Protocols offered for this condition: kept as clinic data, not page text."""
        return list(
            TreatmentProtocol.objects.filter(condition_id=self.condition_id, is_active=True)
        )

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        evidence_url = "#evidence-heading" if self.evidence else ""
        context["protocol_questions"] = lazily(
            lambda: [
                (protocol, protocol_questions(protocol, evidence_url=evidence_url))
                for protocol in self.protocols
            ]
        )
        context["articles"] = lazily(
            lambda: (
                ArticlePage.cards().filter(related_conditions=self).order_by("-date_published")[:6]
            )
        )
        context["stories"] = lazily(
            lambda: current_stories(
                PatientStoryPage.cards()
                .filter(condition_id=self.condition_id)
                .order_by("-first_published_at")
            )[:3]
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "MedicalWebPage",
            "name": self.title,
            "url": self.get_full_url(request),
            "about": {"@type": "MedicalCondition", "name": self.condition.name},
            "description": self.summary,
        }
        if self.medical_reviewer:
            data["reviewedBy"] = self.medical_reviewer.json_ld()
        if self.last_reviewed:
            data["lastReviewed"] = self.last_reviewed.isoformat()
        return data


# --- Patient stories --------------------------------------------------------------------------


CONSENT_VALID_MONTHS = 12


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the last day of the month when it has fewer days)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return datetime.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def current_stories(queryset: models.QuerySet) -> models.QuerySet:
    """Stories whose consent is still confirmed (the lapse job may not have run yet today)."""
    today = timezone.localdate()
    return queryset.filter(consent_confirmed_on__gt=add_months(today, -CONSENT_VALID_MONTHS))


class MaterialConnection(models.TextChoices):
    """What the patient got from the clinic: readers must know (FTC 16 CFR 255.5)."""

    NONE = "none", "None"
    PAID = "paid", "Paid for the testimonial"
    DISCOUNTED = "discounted", "Discounted treatment"
    FREE = "free", "Free treatment"


class StorySelection(models.TextChoices):
    EVERY_PATIENT = "every_patient", "Every patient treated in the period was invited"
    RANDOM = "random", "Chosen at random among patients who agreed"
    VOLUNTEERED = "volunteered", "The patient offered to share their story"
    CLINIC_CHOSE = "clinic_chose", "Chosen by the clinic"
    OTHER = "other", "Other"


def release_storage() -> PrivateStorage:
    return PrivateStorage("releases", url_name="story_release")


def release_upload_to(instance: Any, filename: str) -> str:
    return timezone.now().strftime("%Y/%m/") + filename


RELEASE_MAX_MB = 10


def validate_release_size(file: Any) -> None:
    if file.size > RELEASE_MAX_MB * 1024 * 1024:
        raise ValidationError(f"The file is too large: the limit is {RELEASE_MAX_MB} MB.")


def time_since(start: datetime.date, end: datetime.date) -> str:
    """Say how long after ``start`` the date ``end`` is, the way a patient would ("2 months")."""
    days = (end - start).days
    if days < 0:
        raise ValueError("end comes before start")
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 56:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    months = round(days / 30.4375)
    if months < 24:
        return "1 month" if months == 1 else f"{months} months"
    years = round(days / 365.25)
    return f"{years} years"


class StoryIndexPage(BasePage):
    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.PatientStoryPage"]
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["stories"] = current_stories(
            PatientStoryPage.cards()
            .child_of(self)
            .select_related("condition")
            .order_by("-first_published_at")
        )
        return context


class ProgressUpdate(Orderable):
    """A dated update in a patient's own words, with a photo or a video."""

    page = ParentalKey("content.PatientStoryPage", related_name="updates", on_delete=models.CASCADE)
    date = models.DateField()
    quote = models.TextField(max_length=1200, help_text="What the patient said, in their words.")
    note = models.TextField(blank=True, max_length=1200, help_text="Context from the clinic.")
    photo = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    video = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [
        FieldPanel("date"),
        FieldPanel("quote"),
        FieldPanel("note"),
        FieldRowPanel([FieldPanel("photo"), FieldPanel("video")]),
    ]

    class Meta(Orderable.Meta):
        ordering = ["date", "sort_order"]

    @property
    def time_since_treatment(self) -> str:
        treated = self.page.treatment_date
        if treated is None or self.date < treated:
            return ""
        return time_since(treated, self.date)


class PatientStoryPage(BasePage):
    patient_display_name = models.CharField(
        max_length=100,
        help_text="The name the patient agreed to be shown under (may be a first name).",
    )
    is_fictional = models.BooleanField(
        "fictional (demo)",
        default=False,
        help_text="Shown on the page: this patient does not exist.",
    )
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="stories")
    protocol = models.ForeignKey(
        TreatmentProtocol,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stories",
        help_text="The protocol they were treated on; its outcome figures show beside the story.",
    )
    treatment_date = models.DateField()
    publishing_consent_date = models.DateField(
        "publishing consent recorded on",
        help_text="When the patient's signed consent to publish this story was recorded.",
    )
    release_document = models.FileField(
        "signed release",
        upload_to=release_upload_to,
        storage=release_storage,
        blank=True,
        validators=[FileExtensionValidator(["pdf", "jpg", "jpeg", "png"]), validate_release_size],
        help_text="The patient's signed release (PDF or scan). Private: only staff with "
        "permission can open it; it has no public address.",
    )
    consent_confirmed_on = models.DateField(
        "consent last confirmed on",
        help_text="Consent must be re-confirmed with the patient every 12 months; the story is "
        "unpublished automatically when it lapses.",
    )
    statement_date = models.DateField(
        "date of the statement", help_text="When the patient said or wrote what is quoted."
    )
    material_connection = models.CharField(
        max_length=20,
        choices=MaterialConnection.choices,
        help_text="Anything of value the patient received from the clinic. Shown on the page.",
    )
    material_connection_details = models.CharField(
        max_length=300, blank=True, help_text="e.g. 'Treatment at half price (£X saved)'."
    )
    selection_method = models.CharField(
        "how the patient was chosen", max_length=20, choices=StorySelection.choices
    )
    selection_details = models.CharField(max_length=300, blank=True)
    summary = models.TextField(help_text="One or two sentences for listings.")
    body = StreamField(BaseStreamBlock(), blank=True)

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("patient_display_name"),
                FieldPanel("is_fictional"),
                FieldPanel("condition"),
                FieldPanel("protocol"),
                FieldPanel("treatment_date"),
            ],
            heading="Patient",
        ),
        MultiFieldPanel(
            [
                FieldPanel("release_document"),
                FieldRowPanel(
                    [FieldPanel("publishing_consent_date"), FieldPanel("consent_confirmed_on")]
                ),
                FieldPanel("statement_date"),
                FieldRowPanel(
                    [FieldPanel("material_connection"), FieldPanel("material_connection_details")]
                ),
                FieldRowPanel([FieldPanel("selection_method"), FieldPanel("selection_details")]),
            ],
            heading="Consent and disclosure",
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
        InlinePanel("updates", heading="Progress updates", label="Update"),
    ]

    parent_page_types = ["content.StoryIndexPage"]
    subpage_types: list[str] = []
    serve_select_related = ("condition",)  # the facts in the header
    card_fields = ("summary", "condition")

    class Meta:
        permissions = [("view_testimonial_release", "Can open signed testimonial releases")]

    def clean(self) -> None:
        super().clean()
        today = timezone.localdate()
        errors = {}
        if self.treatment_date and self.treatment_date > today:
            errors["treatment_date"] = "The treatment date cannot be in the future."
        for name in ("consent_confirmed_on", "statement_date", "publishing_consent_date"):
            value = getattr(self, name)
            if value and value > today:
                errors[name] = "This date cannot be in the future."
        if (
            self.consent_confirmed_on
            and self.publishing_consent_date
            and self.consent_confirmed_on < self.publishing_consent_date
        ):
            errors["consent_confirmed_on"] = "Confirmation cannot come before the original consent."
        if not self.is_fictional and not self.release_document:
            errors["release_document"] = (
                "Upload the patient's signed release before this story can be saved."
            )
        if self.material_connection != MaterialConnection.NONE and not (
            self.material_connection_details.strip()
        ):
            errors["material_connection_details"] = (
                "Say what the patient received, e.g. 'Treatment free of charge'."
            )
        if self.selection_method == StorySelection.OTHER and not self.selection_details.strip():
            errors["selection_details"] = "Describe how the patient was chosen."
        if errors:
            raise ValidationError(errors)

    @property
    def summary_text(self) -> str:
        return self.search_description or self.summary

    @property
    def consent_expires_on(self) -> datetime.date | None:
        if self.consent_confirmed_on is None:
            return None
        return add_months(self.consent_confirmed_on, CONSENT_VALID_MONTHS)

    @property
    def consent_lapsed(self) -> bool:
        expires = self.consent_expires_on
        return expires is not None and expires <= timezone.localdate()

    @property
    def material_connection_text(self) -> str:
        if self.material_connection == MaterialConnection.NONE:
            return "None: the patient was not paid and received no discount or free treatment."
        label = MaterialConnection(self.material_connection).label
        details = self.material_connection_details.strip()
        return f"{label}: {details}" if details else label

    @property
    def selection_text(self) -> str:
        label = StorySelection(self.selection_method).label if self.selection_method else ""
        details = self.selection_details.strip()
        return f"{label}. {details}" if label and details else label or details

    def save_revision(self, *args: Any, **kwargs: Any) -> Any:
        # A live page's edits go only into a revision (the form saves with commit=False), and
        # a FileField writes its upload on model save: store the release now, or it is lost.
        release = self.release_document
        if release and not release._committed:
            release.save(release.name, release.file, save=False)
        return super().save_revision(*args, **kwargs)

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Belt and braces: the scheduled job unpublishes lapsed stories; until it runs, a
        # story whose consent has lapsed is not shown to anyone.
        if self.consent_lapsed:
            raise Http404("This story is not available.")
        return super().serve(request, *args, **kwargs)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["progress_updates"] = lazily(self._progress_updates)
        context["outcome_card"] = card_for(
            condition_id=self.condition_id, protocol_id=self.protocol_id
        )
        # The condition's page is linked from every story about it; publishing it bumps the
        # generation.
        context["condition_page"] = remember(
            f"condition-page-link:{self.condition_id}",
            lambda: (
                ConditionPage.objects.live()
                .public()
                .filter(condition_id=self.condition_id)
                .only(*LINK_FIELDS)
                .first()
            ),
        )
        return context

    def _progress_updates(self) -> list[ProgressUpdate]:
        updates = list(self.updates.select_related("photo", "video"))
        for update in updates:
            update.page = self  # avoid a query per update for treatment_date
        return updates


# --- Clinic profile ---------------------------------------------------------------------------


class Accreditation(Orderable):
    page = ParentalKey(
        "content.ClinicPage", related_name="accreditations", on_delete=models.CASCADE
    )
    name = models.CharField(max_length=200, help_text="What is accredited or licensed.")
    issuer = models.CharField(max_length=200)
    reference = models.CharField(max_length=100, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    url = models.URLField("public register entry", blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("issuer"),
        FieldRowPanel([FieldPanel("reference"), FieldPanel("valid_until")]),
        FieldPanel("url"),
    ]


class ClinicPage(BasePage):
    introduction = models.TextField()
    body = StreamField(BaseStreamBlock(), blank=True)
    location = RichTextField(
        features=RICH_TEXT_FEATURES, blank=True, help_text="How to get there; link out to maps."
    )

    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("body"),
        FieldPanel("location"),
        InlinePanel("accreditations", heading="Accreditation and licences", label="Accreditation"),
    ]

    parent_page_types = ["content.HomePage"]
    subpage_types: list[str] = []
    max_count = 1

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["protocols"] = TreatmentProtocol.objects.filter(is_active=True).select_related(
            "condition"
        )
        return context

    def json_ld(self, request: HttpRequest) -> dict[str, Any] | None:
        return clinic_json_ld(request)


# --- Medical review workflow ---------------------------------------------------------------


class MedicalReviewTask(Task):
    """Workflow task that checks a page's evidence before it can be published.

    It runs by itself when the page is submitted: it approves a page that passes every check
    in ``review.page_findings`` and sends back a page that fails, listing each failing
    sentence or field. A user with ``override_medical_review`` may approve a failing page by
    giving a reason, which is written to the audit log (see ``review.override_review``).
    """

    admin_form_fields = Task.admin_form_fields

    class Meta:
        verbose_name = "medical review task"
        verbose_name_plural = "medical review tasks"
        permissions = [("override_medical_review", "Can override failed medical review checks")]

    @classmethod
    def get_description(cls) -> str:
        return (
            "Checks cited figures, references, the reviewer's clinical credentials and the "
            "review dates; sends the page back with the exact sentence or field that failed."
        )

    @classmethod
    def get_task_state_class(cls) -> type[TaskState]:
        return MedicalReviewTaskState

    def start(self, workflow_state: Any, user: Any = None) -> TaskState:
        from .review import run_checks_on_task_state

        task_state = super().start(workflow_state, user=user)
        return run_checks_on_task_state(task_state.specific, workflow_state, user=user)


class MedicalReviewTaskState(TaskState):
    """What the checks found for one revision, and any override of them."""

    findings = models.JSONField(default=list, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "medical review task state"


class ReviewReminder(models.Model):
    """A reminder queued for a page's reviewer for one review due date (so it is sent once);
    ``sent_at`` is set when the mail server accepted it."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    due_date = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "due_date"], name="one_reminder_per_due_date")
        ]


class StoryConsentNotice(models.Model):
    """A consent warning sent, or an unpublication done, for one consent expiry date."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Editors warned"
        UNPUBLISHED = "unpublished", "Story unpublished"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    expires_on = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "expires_on", "kind"], name="one_consent_notice_per_expiry"
            )
        ]
