from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "clinicsite.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from .lockout import record_lockout
        from .roles import ensure_roles

        # After every migrate, so permissions created by any app exist first.
        post_migrate.connect(ensure_roles, dispatch_uid="clinicsite.accounts.ensure_roles")
        user_locked_out.connect(record_lockout, dispatch_uid="clinicsite.accounts.lockout_audit")
