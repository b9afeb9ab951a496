"""Public content: articles, conditions, patient stories, the clinic profile and their people.

One module per page family or concern, as Wagtail splits ``wagtail.models``:

* ``people``: the ``Person`` snippet (authors and medical reviewers);
* ``routing``: how a request finds its page, and what that overrides in Wagtail;
* ``base``: ``BasePage``, what every public page shares, and listing cards;
* ``home``, ``articles``, ``conditions``, ``stories``, ``clinic``: the page types;
* ``medical_review``: review dates on medical pages and the workflow task;
* ``reminders``: what the scheduled jobs already did, so re-runs do not repeat it.

Page models follow Wagtail's documented order: fields, search fields, panels, parent/subpage
rules, then methods. Everything is importable from ``clinicsite.content.models``.
"""

from .articles import ArticleIndexPage, ArticlePage, ArticlePageTag, ArticleReference
from .base import CARD_FIELDS, CARD_RENDITION, IMAGE_MODEL, LINK_FIELDS, BasePage, lazily
from .clinic import Accreditation, ClinicPage, clinic_json_ld
from .conditions import ConditionIndexPage, ConditionPage
from .home import HomePage
from .medical_review import MedicalReviewMixin, MedicalReviewTask, MedicalReviewTaskState
from .people import Person
from .reminders import ReviewReminder, StoryConsentNotice
from .routing import ROUTE_FIELDS, RoutingMixin
from .stories import (
    CONSENT_VALID_MONTHS,
    RELEASE_MAX_MB,
    MaterialConnection,
    PatientStoryPage,
    ProgressUpdate,
    StoryIndexPage,
    StorySelection,
    add_months,
    current_stories,
    release_storage,
    release_upload_to,
    time_since,
    validate_release_size,
)

__all__ = [
    "CARD_FIELDS",
    "CARD_RENDITION",
    "CONSENT_VALID_MONTHS",
    "IMAGE_MODEL",
    "LINK_FIELDS",
    "RELEASE_MAX_MB",
    "ROUTE_FIELDS",
    "Accreditation",
    "ArticleIndexPage",
    "ArticlePage",
    "ArticlePageTag",
    "ArticleReference",
    "BasePage",
    "ClinicPage",
    "ConditionIndexPage",
    "ConditionPage",
    "HomePage",
    "MaterialConnection",
    "MedicalReviewMixin",
    "MedicalReviewTask",
    "MedicalReviewTaskState",
    "PatientStoryPage",
    "Person",
    "ProgressUpdate",
    "ReviewReminder",
    "RoutingMixin",
    "StoryConsentNotice",
    "StoryIndexPage",
    "StorySelection",
    "add_months",
    "clinic_json_ld",
    "current_stories",
    "lazily",
    "release_storage",
    "release_upload_to",
    "time_since",
    "validate_release_size",
]
