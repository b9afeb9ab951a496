from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicsite.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import checks, csp, signals, spreadsheet  # noqa: F401 - checks registers itself

        signals.connect()
        csp.patch_wagtail_widgets()
        spreadsheet.patch_wagtail_exports()
