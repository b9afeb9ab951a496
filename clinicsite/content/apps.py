from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "clinicsite.content"
    label = "content"
    verbose_name = "Content"
