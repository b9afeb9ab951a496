"""StreamField blocks for long-form pages. One ``BaseStreamBlock`` serves every page body."""

from __future__ import annotations

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

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


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    image = ImageBlock()
    video = VideoBlock()
    pull_quote = PullQuoteBlock()
    callout = CalloutBlock()
