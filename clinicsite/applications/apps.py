from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "clinicsite.applications"
    label = "applications"
    verbose_name = "Applications"
