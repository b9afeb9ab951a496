from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicsite.core"
    label = "core"
    verbose_name = "Core"
