from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicsite.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import csp, signals

        signals.connect()
        csp.patch_wagtail_widgets()
