"""Cross-cutting models: the project's own Wagtail image model."""

from django.db import models

from wagtail.images.models import AbstractImage, AbstractRendition, Image


class ClinicImage(AbstractImage):
    """Wagtail image with a credit line, so photo credits travel with the picture."""

    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text="Who made the picture, shown under it (e.g. 'Photo: clinic staff').",
    )

    admin_form_fields = (*Image.admin_form_fields, "credit")

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"


class ClinicRendition(AbstractRendition):
    image = models.ForeignKey(ClinicImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
