from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "clinicsite.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from clinicsite.core import backup, encrypted

        from . import storage

        # Counted in every backup and compared after a restore (core/backup/).
        backup.register_key_tables(
            "applications.Application",
            "applications.ApplicationDraft",
            "applications.MedicalRecord",
            "applications.ClinicianNote",
        )

        # Key rotation and the post-restore check walk these (core/encrypted.py).
        # Each value is bound to its row by ``row`` (unique, immutable, set before the INSERT).
        encrypted.register_column("application answers", "applications.Application",
                                  "answers_ciphertext", row="reference")  # fmt: skip
        encrypted.register_column(
            "drafts", "applications.ApplicationDraft", "data_ciphertext", row="id"
        )
        encrypted.register_column(
            "notes", "applications.ClinicianNote", "body_ciphertext", row="seal_id"
        )
        encrypted.register_column(
            "record names", "applications.MedicalRecord", "name_ciphertext", row="stored_name"
        )
        encrypted.register_files(
            "record files", names=_record_names, read=storage.read, write=storage.write,
            context=storage.file_context,
        )  # fmt: skip


def _record_names() -> list[str]:
    from .models import MedicalRecord

    return list(MedicalRecord.objects.order_by("pk").values_list("stored_name", flat=True))
