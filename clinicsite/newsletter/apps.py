from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "clinicsite.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"
