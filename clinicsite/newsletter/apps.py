from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "clinicsite.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from clinicsite.core import backup

        # Counted in every backup and compared after a restore (core/backup/).
        backup.register_key_tables("newsletter.Subscriber", "newsletter.ConsentEvent")
