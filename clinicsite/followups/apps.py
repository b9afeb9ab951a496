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
        # Each value is bound to its row by ``row`` (unique, immutable, set before the INSERT):
        # a treatment and a response are one-to-one with their application and invitation.
        encrypted.register_column(
            "treatment notes", "followups.Treatment", "notes_ciphertext", row="application_id"
        )
        encrypted.register_column(
            "follow-up answers", "followups.Response", "answers_ciphertext", row="invitation_id"
        )
        encrypted.register_column(
            "adverse-event descriptions", "followups.AdverseEvent", "description_ciphertext",
            row="seal_id",
        )  # fmt: skip
        encrypted.register_column(
            "adverse-event actions", "followups.AdverseEvent", "action_ciphertext", row="seal_id"
        )
