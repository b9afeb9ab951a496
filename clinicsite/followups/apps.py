from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "clinicsite.followups"
    label = "followups"
    verbose_name = "Follow-up"

    def ready(self) -> None:
        from clinicsite.core import backup, encrypted

        # Counted in every backup and compared after a restore (core/backup/).
        backup.register_key_tables(
            "followups.Treatment", "followups.Response", "followups.AdverseEvent"
        )

        # Key rotation and the post-restore check walk these (core/encrypted.py).
        encrypted.register_column("treatment notes", "followups.Treatment", "notes_ciphertext")
        encrypted.register_column("follow-up answers", "followups.Response", "answers_ciphertext")
        encrypted.register_column(
            "adverse-event descriptions", "followups.AdverseEvent", "description_ciphertext"
        )
        encrypted.register_column(
            "adverse-event actions", "followups.AdverseEvent", "action_ciphertext"
        )
