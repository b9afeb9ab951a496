"""The project's user model, custom from the first migration so it can grow safely."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A member of staff. Patients and subscribers never get accounts."""

    email = models.EmailField("email address", blank=True)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class SecondFactorEnrolment(models.Model):
    """A one-time permission to add an authenticator, issued by an administrator.

    Only the code's hash is kept; the code is shown once to whoever issued it
    (``accounts.second_factor``).
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="second_factor_enrolments"
    )
    code_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)  # wrong codes typed; 5 void it

    class Meta:
        permissions = [("manage_second_factor", "Issue and reset staff second factors")]

    def __str__(self) -> str:
        return f"Second-factor enrolment for {self.user}"
