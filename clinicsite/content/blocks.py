"""StreamField blocks for long-form pages. One ``BaseStreamBlock`` serves every page body."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

from . import evidence
from .citations import (
    doi_url,
    normalise_doi,
    normalise_trial_registration,
    pmid_url,
    trial_registration_url,
)

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "superscript", "subscript"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section (H2)"), ("h3", "Subsection (H3)")], default="h2"
    )

    class Meta:
        icon = "title"
        template = "content/blocks/heading_block.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=300)
    credit = blocks.CharBlock(
        required=False, max_length=200, help_text="Leave blank to use the image's own credit."
    )

    class Meta:
        icon = "image"
        template = "content/blocks/image_block.html"


class VideoBlock(blocks.StructBlock):
    """A self-hosted video: played from this site, so no video platform sees the reader."""

    video = DocumentChooserBlock(help_text="An MP4 or WebM file uploaded to Documents.")
    poster = ImageChooserBlock(required=False)
    captions = DocumentChooserBlock(required=False, help_text="WebVTT captions (.vtt).")
    title = blocks.CharBlock(max_length=200, help_text="Describes the video for screen readers.")
    transcript = blocks.TextBlock(required=False)

    class Meta:
        icon = "media"
        template = "content/blocks/video_block.html"


class PullQuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(max_length=600)
    attribution = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "content/blocks/pull_quote_block.html"


class CalloutBlock(blocks.StructBlock):
    tone = blocks.ChoiceBlock(
        choices=[("note", "Note"), ("important", "Important"), ("safety", "Safety")], default="note"
    )
    title = blocks.CharBlock(max_length=120)
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "warning"
        template = "content/blocks/callout_block.html"


# Plain-language evidence levels, shown as a badge on every claim: what the design can show.
EVIDENCE_LEVELS: dict[str, tuple[str, str]] = {
    evidence.META_ANALYSIS: (
        "Several studies pooled",
        "A review that combined the results of several studies.",
    ),
    evidence.RANDOMISED: (
        "Fair test: randomised, with a comparison group",
        "Patients were assigned by chance to the treatment or a comparison, the fairest way to "
        "see whether the treatment itself made the difference.",
    ),
    evidence.CONTROLLED: (
        "Compared with a group, not randomised",
        "There was a comparison group, but patients were not assigned by chance, so the groups "
        "may have differed in other ways.",
    ),
    evidence.UNCONTROLLED: (
        "No comparison group",
        "Everyone got the treatment, so the study cannot show whether people would have "
        "improved anyway.",
    ),
    evidence.CASE_REPORT: (
        "Single case: an anecdote",
        "A report about one or a few patients. It cannot show that a treatment works.",
    ),
}
SMALL_STUDY = 30


class ClaimBlock(blocks.StructBlock):
    """An efficacy statement with what a reader needs to judge it, and a link to its source.

    Figures (percentages, patient counts) are only accepted by medical review inside this
    block; see ``evidence.py``.
    """

    statement = blocks.TextBlock(
        max_length=500,
        help_text="The claim in plain words, e.g. 'Remission was as common with "
        "placebo as with the cells.'",
    )
    design = blocks.ChoiceBlock(
        choices=[
            (evidence.RANDOMISED, "Randomised controlled trial"),
            (evidence.CONTROLLED, "Controlled, not randomised"),
            (evidence.UNCONTROLLED, "Uncontrolled (no comparison group)"),
            (evidence.CASE_REPORT, "Case report"),
            (evidence.META_ANALYSIS, "Systematic review / meta-analysis"),
        ],
        label="Study design",
    )
    participants = blocks.IntegerBlock(min_value=1, label="Number of patients")
    result = blocks.CharBlock(
        max_length=300, help_text="Result in the treated patients, e.g. '9 of 12 in remission'."
    )
    control_result = blocks.CharBlock(
        max_length=300,
        required=False,
        label="Control-arm result",
        help_text="Required for controlled designs, e.g. '5 of 6 on placebo in remission'.",
    )
    source = blocks.CharBlock(
        max_length=200, help_text="Who reported it, e.g. 'Deng and colleagues, 2017'."
    )
    doi = blocks.CharBlock(max_length=200, required=False, label="DOI")
    pmid = blocks.CharBlock(max_length=12, required=False, label="PMID")
    registration = blocks.CharBlock(
        max_length=40, required=False, label="Trial registration", help_text="e.g. NCT01539902"
    )

    class Meta:
        icon = "doc-full"
        label = "Claim (with its evidence)"
        template = "content/blocks/claim_block.html"

    def clean(self, value: blocks.StructValue) -> blocks.StructValue:
        value = super().clean(value)
        if value.get("doi"):
            value["doi"] = normalise_doi(value["doi"])
        if value.get("registration"):
            value["registration"] = normalise_trial_registration(value["registration"])
        problems = evidence.claim_problems(dict(value))
        if problems:
            raise StructBlockValidationError(
                block_errors={name: ValidationError(text) for name, text in problems.items()}
            )
        return value

    def get_context(self, value: blocks.StructValue, parent_context: Any = None) -> dict:
        context = super().get_context(value, parent_context)
        label, explanation = EVIDENCE_LEVELS.get(value.get("design"), ("", ""))
        context.update(
            level_label=label,
            level_explanation=explanation,
            level_class=str(value.get("design") or "").replace("_", "-"),
            is_small=bool(value.get("participants")) and value["participants"] < SMALL_STUDY,
            source_url=claim_source_url(value),
        )
        return context


def claim_source_url(value: Any) -> str:
    """Where a reader can check the claim: the DOI, else PubMed, else the trial registry."""
    if value.get("doi"):
        return doi_url(value["doi"])
    if value.get("pmid"):
        return pmid_url(value["pmid"])
    if value.get("registration"):
        try:
            return trial_registration_url(value["registration"])
        except ValueError:
            return ""
    return ""


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    image = ImageBlock()
    video = VideoBlock()
    pull_quote = PullQuoteBlock()
    callout = CalloutBlock()
    claim = ClaimBlock()
