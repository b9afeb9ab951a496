"""Cross-cutting models: the project's own Wagtail image model."""

from django.conf import settings
from django.db import models

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
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


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One line of the append-only audit log (see ``core.audit``)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Username at the time of the action.")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit entries cannot be deleted.")


@register_setting(icon="list-ul")
class AuditSettings(BaseGenericSetting):
    """Choices the clinic makes about its audit log."""

    record_public_ip_address = models.BooleanField(
        "record applicants' IP addresses",
        default=False,
        help_text=(
            "Keep the IP address with audit entries made by applicants, patients and "
            "subscribers (anyone not signed in). Off by default: the entry already names the "
            "application or link used, and less personal data is safer. Staff entries and "
            "sign-in attempts always keep their address."
        ),
    )

    panels = [FieldPanel("record_public_ip_address")]

    class Meta:
        verbose_name = "audit settings"
