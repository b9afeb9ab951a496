from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "clinicsite.followups"
    label = "followups"
    verbose_name = "Follow-up"
