"""Load the demo clinic: pages, people, conditions, protocols and fictional patient stories.

Idempotent: every object is found by a stable key (slug or name) and updated in place, so
running it again refreshes the demo without duplicating anything. All people are fictional.
"""

from __future__ import annotations

import datetime
import io
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from clinicsite.clinic.models import ClinicSettings, Condition, Criterion, TreatmentProtocol
from clinicsite.content import demo_images
from clinicsite.content.models import (
    Accreditation,
    ArticleIndexPage,
    ArticlePage,
    ArticleReference,
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

CLINIC = {
    "name": "Harbour Cell Therapy Clinic",
    "street_address": "4 Quayside Row",
    "locality": "Port Example",
    "region": "Demo County",
    "postal_code": "PE1 0AA",
    "country": "United Kingdom",
    "phone": "+44 1632 960 000",
    "email": "enquiries@clinic.example",
    "opening_hours": "Monday to Friday, 9:00–17:00",
}

# Screening criteria: (kind, answer, operator, value, plain-language explanation).
COMMON_CRITERIA = [
    ("inclusion", "age", "gte", "18", "The protocol is open to adults aged 18 to 70."),
    ("inclusion", "age", "lte", "70", "The protocol is open to adults aged 18 to 70."),
    (
        "inclusion",
        "diagnosis_confirmed",
        "eq",
        "yes",
        "The diagnosis needs to have been confirmed by a specialist.",
    ),
    (
        "exclusion",
        "cancer_last_5_years",
        "eq",
        "yes",
        "People who have had cancer in the last five years cannot join, because the cells' "
        "effect on cancer is not known.",
    ),
    (
        "exclusion",
        "pregnant",
        "eq",
        "yes",
        "The treatment has not been studied in pregnancy, so pregnant people cannot join.",
    ),
    (
        "exclusion",
        "active_infection",
        "eq",
        "yes",
        "An active infection has to be treated first; you may apply again afterwards.",
    ),
]
LUPUS_CRITERIA = [
    (
        "inclusion",
        "flares_last_year",
        "gte",
        "1",
        "The protocol is for lupus that stays active despite treatment "
        "(at least one flare in the last year).",
    ),
]
MS_CRITERIA = [
    (
        "inclusion",
        "relapses_last_2_years",
        "gte",
        "1",
        "The protocol is for relapsing MS (at least one relapse in the last two years).",
    ),
]

PEOPLE = {
    "Dr Miriam Okafor": {
        "job_title": "Consultant rheumatologist",
        "credentials": "MD, MRCP (Rheumatology)",
        "is_clinician": True,
        "registration": "Medical register no. 0000001 (demo)",
        "email": "m.okafor@clinic.example",
        "memberships": "British Society for Rheumatology\nInternational Society for Cell & Gene Therapy",
        "bio": "<p>Dr Okafor leads the clinic's lupus service and writes its patient information. "
        "She is a fictional person created for this demo site.</p>",
        "palette": "teal",
    },
    "Dr Tomas Lindqvist": {
        "job_title": "Consultant neurologist",
        "credentials": "MD, PhD",
        "is_clinician": True,
        "registration": "Medical register no. 0000002 (demo)",
        "email": "t.lindqvist@clinic.example",
        "memberships": "Association of British Neurologists",
        "bio": "<p>Dr Lindqvist reviews the clinic's neurology content and runs its follow-up "
        "clinic. He is a fictional person created for this demo site.</p>",
        "palette": "violet",
    },
}


def paragraph(html: str) -> tuple[str, RichText]:
    return ("paragraph", RichText(html))


def heading(text: str, level: str = "h2") -> tuple[str, dict[str, str]]:
    return ("heading", {"text": text, "level": level})


def claim(**value: Any) -> tuple[str, dict[str, Any]]:
    """A claim block; every figure in the demo article sits in one, with its source."""
    defaults = {"control_result": "", "doi": "", "pmid": "", "registration": ""}
    return ("claim", {**defaults, **value})


LUPUS_ARTICLE_BODY: list[tuple[str, Any]] = [
    heading("What lupus is"),
    paragraph(
        "<p>Systemic lupus erythematosus (SLE, or lupus) is an autoimmune disease: the immune "
        "system makes antibodies against the body's own tissues. It can affect the skin, joints, "
        "blood, kidneys, brain and other organs, and it usually alternates between flares and "
        "calmer spells. When it reaches the kidneys it is called lupus nephritis, one of its "
        "most serious forms.</p>"
    ),
    heading("How lupus is treated today"),
    paragraph(
        "<p>Lupus has no cure, but standard treatment controls it for many people. Most take "
        "hydroxychloroquine; corticosteroids calm flares; immunosuppressants such as "
        "mycophenolate or cyclophosphamide treat organ involvement; and biologic medicines such "
        "as belimumab and anifrolumab are options when disease stays active. These medicines can "
        "have serious side effects and do not work for everyone, which is why researchers keep "
        "looking for new approaches.</p>"
    ),
    heading("What mesenchymal stromal cells are"),
    paragraph(
        "<p>Mesenchymal stromal cells (MSCs, often called mesenchymal stem cells) can be grown "
        "from bone marrow, umbilical cord tissue or fat. In laboratory studies they quieten "
        "several parts of the immune response. Trials in lupus test whether an infusion of "
        "donated MSCs can calm the immune attack; the cells are not expected to replace "
        "damaged tissue.</p>"
    ),
    (
        "callout",
        {
            "tone": "important",
            "title": "This is an experimental treatment",
            "text": RichText(
                "<p>MSC infusion is not an approved standard treatment for lupus. It should only "
                "be given within a registered clinical trial or an ethics-approved protocol, "
                "alongside the care of your own specialist.</p>"
            ),
        },
    ),
    heading("What the studies found"),
    paragraph(
        "<p>Each result below is shown with its study design, the number of patients and a link "
        "to the published paper, so you can judge how much weight it can bear.</p>"
    ),
    heading("Early studies without a comparison group", "h3"),
    paragraph(
        "<p>The first reports came from a research group in Nanjing, China, who gave donated "
        "MSCs to people whose lupus had not settled with standard treatment.</p>"
    ),
    claim(
        statement="Disease activity and protein loss in the urine fell during the year after an "
        "MSC infusion in people whose lupus had resisted other treatment.",
        design="uncontrolled",
        participants=15,
        result="Among the 12 followed for a year, the average SLEDAI disease-activity score went "
        "from 12.2 to 3.2 and daily urine protein from about 2,500 mg to about 860 mg; 2 of 13 "
        "relapsed.",
        source="Liang and colleagues, 2010",
        doi="10.1136/ard.2009.123463",
    ),
    paragraph(
        "<p>The same group then ran a study across four hospitals using MSCs grown from "
        "umbilical cord tissue, and later followed their patients for five years.</p>"
    ),
    claim(
        statement="Around six in ten people had a major or partial clinical response a year "
        "after umbilical-cord MSCs, and some of those responses faded.",
        design="uncontrolled",
        participants=40,
        result="At 12 months, 32.5% had a major and 27.5% a partial clinical response; 12.5% had "
        "relapsed by 9 months and 16.7% by 12 months.",
        source="Wang and colleagues, 2014",
        doi="10.1186/ar4520",
    ),
    claim(
        statement="About a third of people treated were in remission five years later.",
        design="uncontrolled",
        participants=81,
        result="34% in remission at five years; 24% of those who had responded relapsed.",
        source="Wang and colleagues, 2018",
        pmid="29478901",
    ),
    paragraph(
        "<p>None of these studies had a comparison group. Lupus naturally improves and worsens "
        "over time, and the patients kept taking their other medicines, so these studies cannot "
        "tell how much of the improvement came from the cells.</p>"
    ),
    heading("A randomised, placebo-controlled trial", "h3"),
    paragraph(
        "<p>The fairest test so far is a small double-blind trial in people with class III or IV "
        "lupus nephritis, all of whom also received standard immunosuppressive treatment. Chance "
        "decided who received cells and who received a placebo. The trial was stopped early, and "
        "its authors concluded that the cells added no apparent benefit to standard "
        "treatment.</p>"
    ),
    claim(
        statement="Remission was about as common with a placebo as with the cells.",
        design="randomised",
        participants=18,
        result="Remission in 9 of the 12 given MSCs (75%).",
        control_result="Remission in 5 of the 6 given a placebo (83%).",
        source="Deng and colleagues, 2017",
        doi="10.1136/annrheumdis-2017-211073",
        pmid="28478399",
        registration="NCT01539902",
    ),
    (
        "pull_quote",
        {
            "quote": "A high response rate in treated patients means little until you know how "
            "often people improved without the treatment.",
            "attribution": "",
        },
    ),
    paragraph(
        "<p>A meta-analysis published in 2020 pooled the published studies. In the randomised "
        "trials it included, people given MSCs lost less protein in the urine at three and six "
        "months, but not at a year, and disease activity at a year was not clearly different "
        "(Zhou and colleagues, 2020).</p>"
    ),
    heading("Questions to ask before any stem-cell treatment"),
    paragraph(
        "<ul><li>Is this routine care for my condition, or is it experimental?</li>"
        "<li>Is it part of a registered clinical trial? Where is it registered?</li>"
        "<li>What are my other options, including standard treatment?</li>"
        "<li>What benefit should I expect, how will it be measured, and where are the results "
        "published?</li>"
        "<li>What will it cost, and who looks after me if something goes wrong?</li></ul>"
        "<p>Please talk these questions through with your own rheumatologist or nephrologist "
        "as well as with us.</p>"
    ),
]

LUPUS_REFERENCES = [
    {
        "authors": "Liang J, Zhang H, Hua B, et al.",
        "title": "Allogenic mesenchymal stem cells transplantation in refractory systemic lupus "
        "erythematosus: a pilot clinical study",
        "journal": "Ann Rheum Dis",
        "year": 2010,
        "details": "69(8):1423–1429",
        "doi": "10.1136/ard.2009.123463",
    },
    {
        "authors": "Wang D, Li J, Zhang Y, et al.",
        "title": "Umbilical cord mesenchymal stem cell transplantation in active and refractory "
        "systemic lupus erythematosus: a multicenter clinical study",
        "journal": "Arthritis Res Ther",
        "year": 2014,
        "details": "16(2):R79",
        "doi": "10.1186/ar4520",
    },
    {
        "authors": "Wang D, Zhang H, Liang J, et al.",
        "title": "A long-term follow-up study of allogeneic mesenchymal stem/stromal cell "
        "transplantation in patients with drug-resistant systemic lupus erythematosus",
        "journal": "Stem Cell Reports",
        "year": 2018,
        "pmid": "29478901",
    },
    {
        "authors": "Deng D, Zhang P, Guo Y, Lim TO",
        "title": "A randomised double-blind, placebo-controlled trial of allogeneic umbilical "
        "cord-derived mesenchymal stem cell for lupus nephritis",
        "journal": "Ann Rheum Dis",
        "year": 2017,
        "details": "76(8):1436–1439",
        "doi": "10.1136/annrheumdis-2017-211073",
        "pmid": "28478399",
    },
    {
        "authors": "Zhou T, Li HY, Liao C, Lin W, Lin S",
        "title": "Clinical efficacy and safety of mesenchymal stem cells for systemic lupus "
        "erythematosus",
        "journal": "Stem Cells Int",
        "year": 2020,
        "details": "2020:6518508",
        "doi": "10.1155/2020/6518508",
        "pmid": "32322279",
    },
]

STORIES = [
    {
        "slug": "amaras-story",
        "title": "Amara's story: living with lupus",
        "name": "Amara (fictional)",
        "condition": "lupus",
        "treated_days_ago": 200,
        "summary": "A fictional patient describes the months after joining a lupus protocol.",
        "palette": "amber",
        "connection": (
            "free",
            "Her protocol treatment was free of charge, as for every "
            "participant in the MSC-L1 protocol.",
        ),
        "updates": [
            (
                14,
                "The infusion day was long but calm. I'm tired, and the joint pain is the same as before.",
            ),
            (
                61,
                "Fewer bad mornings this month. My rheumatologist kept my medicines the same, so it's hard to know why.",
            ),
            (
                152,
                "My last blood tests were steadier. I still have flares, but they have been shorter.",
            ),
        ],
    },
    {
        "slug": "jonass-story",
        "title": "Jonas's story: multiple sclerosis follow-up",
        "name": "Jonas (fictional)",
        "condition": "multiple-sclerosis",
        "treated_days_ago": 180,
        "summary": "A fictional patient with relapsing MS shares his follow-up notes.",
        "palette": "violet",
        "connection": ("none", ""),
        "updates": [
            (14, "Back home and resting. No change in walking distance yet."),
            (
                60,
                "Walking about the same. Fatigue a little better on most days, worse in the heat.",
            ),
            (
                150,
                "No relapse since treatment; my neurologist says it is too early to draw conclusions.",
            ),
        ],
    },
    {
        "slug": "leilas-story",
        "title": "Leila's story: when nothing much changed",
        "name": "Leila (fictional)",
        "condition": "lupus",
        "treated_days_ago": 170,
        "summary": "A fictional patient for whom the protocol made no clear difference.",
        "palette": "green",
        "connection": (
            "discounted",
            "Her treatment fee was halved because she took part in the clinic's follow-up survey.",
        ),
        "updates": [
            (15, "Mild headache the day after the infusion, gone by the weekend."),
            (61, "Honestly, no real change. My rash comes and goes as before."),
            (150, "We've agreed with my specialist to go back to adjusting my usual medicines."),
        ],
    },
]


def demo_release_pdf(name: str) -> bytes:
    """A one-page PDF saying this is a placeholder: demo patients are fictional."""
    text = f"Demo placeholder: no release exists because {name} is fictional."
    text = text.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 12 Tf 50 750 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
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


class Command(BaseCommand):
    help = "Load (or refresh) the demo clinic's content. Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            home = self.ensure_site()
            self.ensure_clinic_settings()
            conditions = self.ensure_conditions()
            people = self.ensure_people()
            condition_pages = self.ensure_condition_pages(home, conditions, people)
            self.ensure_articles(home, people, condition_pages)
            self.ensure_stories(home, conditions)
            self.ensure_clinic_page(home)
            ensure_medical_review_workflow()
        # Other apps' demo data (e.g. follow-up history), by command name: content never
        # imports the apps that hold health data.
        for command in settings.DEMO_LOADERS:
            call_command(command, verbosity=options["verbosity"])
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS("Demo content is loaded."))

    # --- helpers ---------------------------------------------------------------------------

    def image(
        self, title: str, data: bytes, description: str, credit: str = "Illustration: demo content"
    ) -> ClinicImage:
        image = ClinicImage.objects.filter(title=title).first()
        if image is None:
            filename = f"{slugify(title)[:40]}.jpg"
            image = ClinicImage(
                title=title,
                description=description,
                credit=credit,
                file=ImageFile(io.BytesIO(data), name=filename),
            )
            image.save()
        return image

    def demo_release(self, index: Page, slug: str, name: str) -> str:
        """A placeholder signed release in private storage (kept if it is already there)."""
        storage = release_storage()
        story = PatientStoryPage.objects.child_of(index).filter(slug=slug).first()
        if story and story.release_document and storage.exists(story.release_document.name):
            return story.release_document.name
        return storage.save(f"demo/{slug}-release.pdf", ContentFile(demo_release_pdf(name)))

    def upsert_child(self, parent: Page, model: type[Page], slug: str, **fields: Any) -> Page:
        """Create or update a child page by slug and publish it."""
        page = model.objects.child_of(parent).filter(slug=slug).first()
        relations = fields.pop("relations", {})
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

    # --- content ---------------------------------------------------------------------------

    def ensure_site(self) -> HomePage:
        root = Page.get_first_root_node()
        home = HomePage.objects.first()
        hero = self.image(
            "Demo hero", demo_images.abstract_picture("hero"), "Abstract drawing of round cells"
        )
        fields = {
            "title": "Home",
            "hero_heading": "Careful, evidence-led cell therapy research",
            "hero_text": "We run ethics-approved treatment protocols for lupus and multiple sclerosis, "
            "publish what we find, and tell you plainly what the evidence can and cannot show.",
            "hero_image": hero,
            "search_description": "A demo clinic site: articles, condition pages and patient stories.",
        }
        # Wagtail's install leaves a plain "Welcome" page at /home/; ours takes its place.
        placeholders = list(
            Page.objects.child_of(root).filter(
                content_type__model="page", content_type__app_label="wagtailcore"
            )
        )
        for stale in placeholders:
            stale.slug = f"placeholder-{stale.pk}"
            stale.save(update_fields=["slug"], clean=False)
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
                "site_name": CLINIC["name"],
            },
        )
        for stale in placeholders:
            stale.delete()
        return home

    def ensure_clinic_settings(self) -> None:
        site = Site.objects.get(is_default_site=True)
        settings_obj = ClinicSettings.for_site(site)
        for name, value in CLINIC.items():
            setattr(settings_obj, name, value)
        settings_obj.save()

    def ensure_conditions(self) -> dict[str, Condition]:
        lupus, _ = Condition.objects.update_or_create(
            slug="lupus",
            defaults={
                "name": "Systemic lupus erythematosus",
                "summary": "An autoimmune disease that can affect many organs.",
            },
        )
        ms, _ = Condition.objects.update_or_create(
            slug="multiple-sclerosis",
            defaults={
                "name": "Multiple sclerosis",
                "summary": "An immune-mediated disease of the brain and spinal cord.",
            },
        )
        lupus_protocol, _ = TreatmentProtocol.objects.update_or_create(
            condition=lupus,
            name="MSC-L1: umbilical-cord MSC infusion alongside standard care",
            defaults={
                "summary": "Two intravenous infusions a week apart, added to (never replacing) the "
                "patient's usual lupus treatment, with follow-up for 12 months.",
                "approval_body": "Demo Research Ethics Committee",
                "approval_reference": "DREC-2025-014 (demo)",
                "approval_date": datetime.date(2025, 3, 1),
                "trial_registration": "",
                "trial_registry_url": "",
                "evidence_summary": "Small studies without a comparison group reported "
                "improvement after MSC infusions. The one randomised, placebo-controlled trial, "
                "in lupus nephritis, found no added benefit over standard treatment. Whether "
                "MSCs help people with lupus is not known.",
                "alternatives": "Standard care led by your rheumatologist: hydroxychloroquine, "
                "corticosteroids for flares, immunosuppressants, and biologic medicines such as "
                "belimumab or anifrolumab. Joining a registered clinical trial elsewhere is "
                "another option.",
                "cost": "Demo figures only: a fixed fee covers both infusions and a year of "
                "follow-up visits. Travel, accommodation and your usual medicines are not "
                "included.",
                "is_active": True,
            },
        )
        ms_protocol, _ = TreatmentProtocol.objects.update_or_create(
            condition=ms,
            name="MSC-M1: MSC infusion in relapsing multiple sclerosis",
            defaults={
                "summary": "A single intravenous infusion alongside the patient's disease-modifying "
                "therapy, with MRI and clinical follow-up for 12 months.",
                "approval_body": "Demo Research Ethics Committee",
                "approval_reference": "DREC-2025-022 (demo)",
                "approval_date": datetime.date(2025, 6, 1),
                "evidence_summary": "MSC therapy in multiple sclerosis has been tested only in "
                "small, early-phase studies. They suggest it is reasonably safe in the short "
                "term; they cannot show whether it slows the disease.",
                "alternatives": "Disease-modifying therapies prescribed by your neurologist; for "
                "some people with very active relapsing MS, autologous haematopoietic stem cell "
                "transplantation in a specialist centre.",
                "cost": "Demo figures only: a fixed fee covers the infusion, MRI scans and a "
                "year of follow-up. Travel and your usual medicines are not included.",
                "is_active": True,
            },
        )
        self.ensure_criteria(lupus_protocol, LUPUS_CRITERIA)
        self.ensure_criteria(ms_protocol, MS_CRITERIA)
        return {"lupus": lupus, "multiple-sclerosis": ms}

    def ensure_criteria(self, protocol: TreatmentProtocol, rows: list[tuple[str, ...]]) -> None:
        """Found by (kind, answer, operator), so ids stay stable across runs."""
        for order, (kind, answer, operator, value, explanation) in enumerate(
            COMMON_CRITERIA + rows
        ):
            Criterion.objects.update_or_create(
                protocol=protocol,
                kind=kind,
                answer=answer,
                operator=operator,
                defaults={"value": value, "explanation": explanation, "sort_order": order},
            )

    def ensure_people(self) -> dict[str, Person]:
        people = {}
        for name, data in PEOPLE.items():
            data = dict(data)
            palette = data.pop("palette")
            photo = self.image(
                f"Portrait placeholder {name}",
                demo_images.portrait(name, palette),
                f"Placeholder silhouette standing in for a photo of {name}",
            )
            person, _ = Person.objects.update_or_create(
                name=name, defaults={**data, "photo": photo}
            )
            people[name] = person
        return people

    def ensure_condition_pages(
        self, home: HomePage, conditions: dict[str, Condition], people: dict[str, Person]
    ) -> dict[str, ConditionPage]:
        index = self.upsert_child(
            home,
            ConditionIndexPage,
            "conditions",
            title="Conditions",
            show_in_menus=True,
            introduction="The conditions our protocols study, what standard care offers, and what "
            "the evidence says about cell therapy for each.",
        )
        today = datetime.date.today()
        lupus = self.upsert_child(
            index,
            ConditionPage,
            "lupus",
            title="Lupus (systemic lupus erythematosus)",
            condition=conditions["lupus"],
            summary="Lupus is a long-term autoimmune disease in which the immune system attacks "
            "healthy tissue. It can affect the skin, joints, kidneys and other organs.",
            listing_image=self.image(
                "Lupus illustration",
                demo_images.abstract_picture("lupus", "amber"),
                "Abstract amber circles",
            ),
            overview=[
                paragraph(
                    "<p>Lupus is more common in women and usually starts between the ages of 15 and "
                    "45. Symptoms include tiredness, joint pain, rashes and fever, and they tend "
                    "to come in flares.</p>"
                )
            ],
            standard_of_care=[
                paragraph(
                    "<p>Treatment is led by a rheumatologist and usually includes "
                    "hydroxychloroquine, with corticosteroids, immunosuppressants or biologic "
                    "medicines (such as belimumab or anifrolumab) when the disease is more "
                    "active. Cell therapy does not replace any of these.</p>"
                )
            ],
            evidence=[
                paragraph(
                    "<p>Uncontrolled studies reported improvement after MSC infusions, but the "
                    "one randomised placebo-controlled trial, in lupus nephritis, found no added "
                    "benefit over standard treatment. Our article "
                    "<em>Can stem cells help lupus?</em> explains the studies in detail.</p>"
                )
            ],
            medical_reviewer=people["Dr Miriam Okafor"],
            last_reviewed=today - datetime.timedelta(days=30),
            next_review_due=today + datetime.timedelta(days=335),
        )
        ms = self.upsert_child(
            index,
            ConditionPage,
            "multiple-sclerosis",
            title="Multiple sclerosis",
            condition=conditions["multiple-sclerosis"],
            summary="Multiple sclerosis (MS) is a condition in which the immune system damages "
            "the protective covering of nerves in the brain and spinal cord.",
            listing_image=self.image(
                "MS illustration",
                demo_images.abstract_picture("ms", "violet"),
                "Abstract violet circles",
            ),
            overview=[
                paragraph(
                    "<p>MS can cause problems with vision, balance, movement, sensation and "
                    "fatigue. Most people first have a relapsing-remitting course.</p>"
                )
            ],
            standard_of_care=[
                paragraph(
                    "<p>Disease-modifying therapies reduce relapses and slow disability for many "
                    "people. For some people with very active relapsing MS, autologous "
                    "haematopoietic stem cell transplantation is offered in specialist centres; "
                    "it is a different treatment from the mesenchymal cells we study.</p>"
                )
            ],
            evidence=[
                paragraph(
                    "<p>Mesenchymal stromal cell therapy in MS has so far been tested in small, "
                    "early-phase studies. It is experimental and should only be given within a "
                    "trial or an approved protocol.</p>"
                )
            ],
            medical_reviewer=people["Dr Tomas Lindqvist"],
            last_reviewed=today - datetime.timedelta(days=45),
            next_review_due=today + datetime.timedelta(days=320),
        )
        return {"lupus": lupus, "multiple-sclerosis": ms}

    def ensure_articles(
        self, home: HomePage, people: dict[str, Person], condition_pages: dict[str, ConditionPage]
    ) -> None:
        index = self.upsert_child(
            home,
            ArticleIndexPage,
            "articles",
            title="Articles",
            show_in_menus=True,
            introduction="Plain-language articles by our clinicians, each with its sources and a "
            "date for its next medical review.",
        )
        today = datetime.date.today()
        hero = self.image(
            "Lupus article illustration",
            demo_images.abstract_picture("lupus-article", "teal"),
            "Abstract drawing of cells in teal",
        )
        self.upsert_child(
            index,
            ArticlePage,
            "can-stem-cells-help-lupus",
            title="Can stem cells help lupus?",
            lede="Mesenchymal stromal cell infusions have been studied in lupus for more than a "
            "decade. Here is what the studies found, what they could not show, and what to ask "
            "before considering treatment.",
            hero_image=hero,
            listing_image=hero,
            body=LUPUS_ARTICLE_BODY,
            author=people["Dr Miriam Okafor"],
            medical_reviewer=people["Dr Tomas Lindqvist"],
            date_published=datetime.date(2025, 9, 15),
            last_reviewed=today - datetime.timedelta(days=20),
            next_review_due=today + datetime.timedelta(days=345),
            relations={
                "related_conditions": [condition_pages["lupus"]],
                "tags": ["lupus", "mesenchymal stromal cells", "evidence"],
                "references": [ArticleReference(**ref) for ref in LUPUS_REFERENCES],
            },
        )

    def ensure_stories(self, home: HomePage, conditions: dict[str, Condition]) -> None:
        index = self.upsert_child(
            home,
            StoryIndexPage,
            "stories",
            title="Patient stories",
            show_in_menus=True,
            introduction="Patients tell their own stories here, including when treatment did not "
            "help. Every demo patient on this site is fictional.",
        )
        today = datetime.date.today()
        for story in STORIES:
            treated = today - datetime.timedelta(days=story["treated_days_ago"])
            image = self.image(
                f"Story illustration {story['slug']}",
                demo_images.abstract_picture(story["slug"], story["palette"]),
                "Abstract illustration (no patient is shown)",
            )
            connection, connection_details = story["connection"]
            self.upsert_child(
                index,
                PatientStoryPage,
                story["slug"],
                title=story["title"],
                patient_display_name=story["name"],
                is_fictional=True,
                condition=conditions[story["condition"]],
                protocol=TreatmentProtocol.objects.filter(
                    condition=conditions[story["condition"]], is_active=True
                ).first(),
                treatment_date=treated,
                publishing_consent_date=treated + datetime.timedelta(days=7),
                consent_confirmed_on=treated + datetime.timedelta(days=7),
                release_document=self.demo_release(index, story["slug"], story["name"]),
                statement_date=treated + datetime.timedelta(days=story["updates"][-1][0]),
                material_connection=connection,
                material_connection_details=connection_details,
                selection_method="every_patient",
                selection_details="Every patient treated in the first half of 2025 was invited "
                "to share their experience, whatever the result; these three agreed.",
                summary=story["summary"],
                listing_image=image,
                relations={
                    "updates": [
                        ProgressUpdate(
                            date=treated + datetime.timedelta(days=days),
                            quote=quote,
                            photo=image if i == 0 else None,
                        )
                        for i, (days, quote) in enumerate(story["updates"])
                    ]
                },
            )

    def ensure_clinic_page(self, home: HomePage) -> None:
        self.upsert_child(
            home,
            ClinicPage,
            "about",
            title="About the clinic",
            show_in_menus=True,
            introduction="Harbour Cell Therapy Clinic is a fictional clinic used to demonstrate "
            "this website. It runs ethics-approved protocols and publishes all its follow-up "
            "results.",
            body=[
                paragraph(
                    "<p>Our clinicians work with each patient's own specialist. We offer treatment "
                    "only under a written protocol approved by a research ethics committee, and "
                    "we follow every treated patient up for a year.</p>"
                )
            ],
            location=RichText(
                "<p>We are a five-minute walk from Port Example station. Step-free access is "
                "available from the harbour side of the building.</p>"
            ),
            relations={
                "accreditations": [
                    Accreditation(
                        name="Registered provider of outpatient care (demo)",
                        issuer="Demo Care Regulator",
                        reference="DCR-0000 (demo)",
                        valid_until=datetime.date.today() + datetime.timedelta(days=500),
                    )
                ]
            },
        )
