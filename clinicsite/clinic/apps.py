from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinicsite.clinic"
    label = "clinic"
    verbose_name = "Clinic"
