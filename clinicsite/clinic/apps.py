from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinicsite.clinic"
    label = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from clinicsite.core import signals

        # Pages show these, and remember them between publishes (core/signals.py); screening
        # rules are remembered too (applications.services).
        signals.shown_on_pages(
            "clinic.Condition",
            "clinic.TreatmentProtocol",
            "clinic.Criterion",
            "clinic.ClinicSettings",
        )
