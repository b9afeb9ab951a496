"""Read the demo's YAML files and upsert what they describe.

Every object is found by a stable key (slug, name or title) and updated in place, so loading
again refreshes the demo without duplicating anything. A page file's keys are its model's
field names, and each value is read according to its field:

* a StreamField takes a list of blocks: ``- paragraph: <p>…</p>``, ``- h2: A heading``,
  ``- claim: {design: …, participants: …}`` (optional text left out is stored empty);
* an image takes ``{title, picture, palette, description}``: drawn by ``demo_images``, and
  found again by its title;
* a person, condition or condition page is named by its name or slug;
* a date may be ``{days_ago: N}`` or ``{days_ahead: N}``, counted from the day of loading;
* child rows (references, accreditations), tags and many-to-many fields take lists.

Stories add what a story needs beyond its fields (see ``upsert_story``); every demo patient
is marked fictional whatever a file says.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import models, transaction
from django.utils.text import slugify

from taggit.managers import TaggableManager
from wagtail import blocks
from wagtail.fields import StreamField
from wagtail.images.models import AbstractImage
from wagtail.models import Page, Site

import yaml

from clinicsite.clinic.models import ClinicSettings, Condition, Criterion, TreatmentProtocol
from clinicsite.content import demo_images
from clinicsite.content.models import (
    ArticleIndexPage,
    ArticlePage,
    ClinicPage,
    ConditionIndexPage,
    ConditionPage,
    HomePage,
    PatientStoryPage,
    Person,
    ProgressUpdate,
    StoryIndexPage,
    release_storage,
)
from clinicsite.content.review import ensure_medical_review_workflow
from clinicsite.core.models import ClinicImage

DATA_DIR = Path(__file__).resolve().parent

# The home page's sections: the index page, and the page made from each file in the folder
# of the same name (its slug is the file's name).
SECTIONS: dict[str, tuple[type[Page], type[Page]]] = {
    "conditions": (ConditionIndexPage, ConditionPage),
    "articles": (ArticleIndexPage, ArticlePage),
    "stories": (StoryIndexPage, PatientStoryPage),
}
# The key a data file names an object of each model by.
NATURAL_KEYS: dict[type[models.Model], str] = {
    Person: "name",
    Condition: "slug",
    ConditionPage: "slug",
}
IMAGE_CREDIT = "Illustration: demo content"
CONSENT_AFTER = datetime.timedelta(days=7)  # demo consent is recorded a week after treatment
DATA_ERRORS = (
    OSError,
    yaml.YAMLError,
    KeyError,
    TypeError,
    ValueError,
    FieldDoesNotExist,
    ObjectDoesNotExist,
    ValidationError,
)


class DemoDataError(Exception):
    """A data file that cannot be loaded; the message names the file and what is wrong."""


def load(data_dir: Path = DATA_DIR) -> None:
    """Load (or refresh) the demo from ``data_dir``, all or nothing."""
    with transaction.atomic():
        DemoLoader(Path(data_dir)).load()


class DemoLoader:
    """Upserts the demo described by one data directory (one instance per load)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.today = datetime.date.today()

    def load(self) -> None:
        """Records before the pages that name them; ids on a fresh database follow this order."""
        with self.file("clinic.yaml") as clinic:
            home = self.ensure_site(clinic["home"], site_name=clinic["settings"]["name"])
            self.ensure_clinic_settings(clinic["settings"])
        with self.file("protocols.yaml") as protocols:
            self.ensure_conditions(protocols)
        with self.file("people.yaml") as people:
            self.ensure_people(people)
        with self.file("sections.yaml") as sections:
            for slug, (index_model, page_model) in SECTIONS.items():
                index = self.upsert_page(home, index_model, slug, sections[slug])
                for path in sorted((self.data_dir / slug).glob("*.yaml")):
                    with self.file(f"{slug}/{path.name}") as data:
                        if page_model is PatientStoryPage:
                            self.upsert_story(index, path.stem, data)
                        else:
                            self.upsert_page(index, page_model, path.stem, data)
        with self.file("about.yaml") as about:
            self.upsert_page(home, ClinicPage, "about", about)
        ensure_medical_review_workflow()

    @contextmanager
    def file(self, name: str) -> Iterator[Any]:
        """The parsed file; what goes wrong while it is loaded is reported with its name."""
        try:
            yield yaml.safe_load((self.data_dir / name).read_text(encoding="utf-8"))
        except DATA_ERRORS as exc:
            raise DemoDataError(f"{self.data_dir / name}: {exc!r}") from exc

    # --- values from data ----------------------------------------------------------------

    def resolve(self, model: type[models.Model], data: dict[str, Any]) -> tuple[dict, dict]:
        """Field values for a file's keys, and apart from them its relations (child rows,
        tags, many-to-many), which a page sets in memory before its revision is saved."""
        fields: dict[str, Any] = {}
        relations: dict[str, list[Any]] = {}
        for name, value in data.items():
            field = model._meta.get_field(name)
            if field.one_to_many:
                child = field.related_model
                relations[name] = [child(**self.resolve(child, row)[0]) for row in value]
            elif isinstance(field, TaggableManager):
                relations[name] = list(value)
            elif field.many_to_many:
                relations[name] = [self.lookup(field.related_model, key) for key in value]
            elif isinstance(field, StreamField):
                fields[name] = stream(field.stream_block, value)
            elif field.is_relation:
                fields[name] = self.lookup(field.related_model, value)
            elif isinstance(field, models.DateField) and isinstance(value, dict):
                fields[name] = self.relative_date(**value)
            else:
                fields[name] = value
        return fields, relations

    def lookup(self, model: type[models.Model], key: Any) -> models.Model:
        if issubclass(model, AbstractImage):
            return self.picture(**key)
        return model.objects.get(**{NATURAL_KEYS[model]: key})

    def relative_date(self, days_ago: int = 0, days_ahead: int = 0) -> datetime.date:
        return self.today + datetime.timedelta(days=days_ahead - days_ago)

    def picture(
        self,
        title: str,
        picture: str,
        description: str,
        palette: str = "teal",
        credit: str = IMAGE_CREDIT,
    ) -> ClinicImage:
        draw = partial(demo_images.abstract_picture, picture, palette)
        return self.image(title, draw, description, credit)

    def image(
        self,
        title: str,
        draw: Callable[[], bytes],
        description: str,
        credit: str = IMAGE_CREDIT,
    ) -> ClinicImage:
        """Found by title (so editors' changes to it stay); drawn only when missing."""
        image = ClinicImage.objects.filter(title=title).first()
        if image is None:
            image = ClinicImage(
                title=title,
                description=description,
                credit=credit,
                file=ImageFile(io.BytesIO(draw()), name=f"{slugify(title)[:40]}.jpg"),
            )
            image.save()
        return image

    # --- records ---------------------------------------------------------------------------

    def ensure_site(self, data: dict[str, Any], site_name: str) -> HomePage:
        root = Page.get_first_root_node()
        home = HomePage.objects.first()
        fields, _ = self.resolve(HomePage, data)
        # Wagtail's install leaves a plain "Welcome" page at /home/; ours takes its place. It
        # is renamed by a queryset update, which sends no post_save: saving it would queue
        # search and reference-index tasks for a page deleted below, which the worker fails.
        placeholders = list(
            Page.objects.child_of(root).filter(
                content_type__model="page", content_type__app_label="wagtailcore"
            )
        )
        for stale in placeholders:
            Page.objects.filter(pk=stale.pk).update(slug=f"placeholder-{stale.pk}")
        if home is None:
            home = HomePage(slug="home", **fields)
            root.add_child(instance=home)
        else:
            for name, value in fields.items():
                setattr(home, name, value)
        home.save_revision().publish()
        # The site's address comes from WAGTAILADMIN_BASE_URL, so canonical links, the
        # sitemap and feeds name the origin the demo is really served from.
        base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
        port = base.port or (443 if base.scheme == "https" else 80)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                "hostname": base.hostname or "localhost",
                "port": port,
                "root_page": home,
                "site_name": site_name,
            },
        )
        for stale in placeholders:
            stale.delete()
        return home

    def ensure_clinic_settings(self, data: dict[str, Any]) -> None:
        settings_obj = ClinicSettings.for_site(Site.objects.get(is_default_site=True))
        for name, value in data.items():
            setattr(settings_obj, name, value)
        settings_obj.save()

    def ensure_conditions(self, data: dict[str, Any]) -> None:
        """Conditions by slug, protocols by (condition, name), criteria by (kind, answer,
        operator), so their ids stay stable across loads."""
        for spec in data["conditions"]:
            spec = dict(spec)
            protocols = spec.pop("protocols", [])
            condition, _ = Condition.objects.update_or_create(slug=spec.pop("slug"), defaults=spec)
            for protocol_spec in protocols:
                protocol_spec = dict(protocol_spec)
                criteria = data["common_criteria"] + protocol_spec.pop("criteria", [])
                protocol, _ = TreatmentProtocol.objects.update_or_create(
                    condition=condition, name=protocol_spec.pop("name"), defaults=protocol_spec
                )
                for order, row in enumerate(criteria):
                    row = dict(row)
                    Criterion.objects.update_or_create(
                        protocol=protocol,
                        kind=row.pop("kind"),
                        answer=row.pop("answer"),
                        operator=row.pop("operator"),
                        defaults={**row, "sort_order": order},
                    )

    def ensure_people(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            row = dict(row)
            name, palette = row.pop("name"), row.pop("palette", "teal")
            photo = self.image(
                f"Portrait placeholder {name}",
                partial(demo_images.portrait, name, palette),
                f"Placeholder silhouette standing in for a photo of {name}",
            )
            fields, _ = self.resolve(Person, row)
            Person.objects.update_or_create(name=name, defaults={**fields, "photo": photo})

    # --- pages -----------------------------------------------------------------------------

    def upsert_page(self, parent: Page, model: type[Page], slug: str, data: dict[str, Any]) -> Page:
        fields, relations = self.resolve(model, data)
        return self.upsert_child(parent, model, slug, fields, relations)

    def upsert_story(self, index: Page, slug: str, data: dict[str, Any]) -> Page:
        """A story's dates count from its treatment (``treated_days_ago``); each update is
        dated ``after_days`` after it, the last one being the statement date."""
        data = dict(data)
        palette, updates = data.pop("palette", "teal"), data.pop("updates")
        treated = self.today - datetime.timedelta(days=data.pop("treated_days_ago"))
        image = self.image(
            f"Story illustration {slug}",
            partial(demo_images.abstract_picture, slug, palette),
            "Abstract illustration (no patient is shown)",
        )
        fields, relations = self.resolve(PatientStoryPage, data)
        consented = treated + CONSENT_AFTER
        fields.update(
            is_fictional=True,
            protocol=TreatmentProtocol.objects.filter(
                condition=fields["condition"], is_active=True
            ).first(),
            treatment_date=treated,
            publishing_consent_date=consented,
            consent_confirmed_on=consented,
            release_document=self.demo_release(index, slug, fields["patient_display_name"]),
            statement_date=treated + datetime.timedelta(days=updates[-1]["after_days"]),
            listing_image=image,
        )
        relations["updates"] = []
        for number, update in enumerate(updates):
            update = dict(update)
            date = treated + datetime.timedelta(days=update.pop("after_days"))
            row, _ = self.resolve(ProgressUpdate, update)
            photo = image if number == 0 else None
            relations["updates"].append(ProgressUpdate(**row, date=date, photo=photo))
        return self.upsert_child(index, PatientStoryPage, slug, fields, relations)

    def demo_release(self, index: Page, slug: str, name: str) -> str:
        """A placeholder signed release in private storage (kept if it is already there)."""
        storage = release_storage()
        story = PatientStoryPage.objects.child_of(index).filter(slug=slug).first()
        if story and story.release_document and storage.exists(story.release_document.name):
            return story.release_document.name
        return storage.save(f"demo/{slug}-release.pdf", ContentFile(demo_release_pdf(name)))

    def upsert_child(
        self,
        parent: Page,
        model: type[Page],
        slug: str,
        fields: dict[str, Any],
        relations: dict[str, list[Any]],
    ) -> Page:
        """Create or update a child page by slug and publish it."""
        page = model.objects.child_of(parent).filter(slug=slug).first()
        if page is None:
            page = model(slug=slug, **fields)
            parent.add_child(instance=page)
        else:
            for name, value in fields.items():
                setattr(page, name, value)
        for relation, items in relations.items():  # child objects, tags and m2m, set in memory
            getattr(page, relation).set(items)
        page.save_revision().publish()
        return page


def stream(stream_block: blocks.StreamBlock, items: list[dict[str, Any]]) -> list[tuple]:
    """StreamField content from ``- kind: value`` items; ``h2`` and ``h3`` are headings."""
    content = []
    for item in items:
        ((kind, value),) = item.items()
        if kind in ("h2", "h3"):
            kind, value = "heading", {"text": value, "level": kind}
        block = stream_block.child_blocks[kind]
        if isinstance(block, blocks.StructBlock):  # text left out is empty, as the admin saves it
            text = (blocks.CharBlock, blocks.TextBlock)
            empty = {n: "" for n, child in block.child_blocks.items() if isinstance(child, text)}
            value = {**empty, **value}
        content.append((kind, block.to_python(value)))
    return content


def demo_release_pdf(name: str) -> bytes:
    """A one-page PDF saying this is a placeholder: demo patients are fictional."""
    text = f"Demo placeholder: no release exists because {name} is fictional."
    text = text.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    content = f"BT /F1 12 Tf 50 750 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
