from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "clinicsite.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from . import signals

        signals.connect()
