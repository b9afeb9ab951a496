from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "clinicsite.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from axes.signals import user_locked_out

        from clinicsite.core import backup

        from . import sign_in
        from .lockout import record_lockout

        backup.register_key_tables("accounts.User")  # counted in every backup (core/backup/)

        post_migrate.connect(_ensure_roles_once, dispatch_uid="clinicsite.accounts.ensure_roles")
        user_locked_out.connect(record_lockout, dispatch_uid="clinicsite.accounts.lockout_audit")
        user_logged_in.connect(sign_in.signed_in, dispatch_uid="clinicsite.accounts.login_audit")
        user_logged_out.connect(sign_in.signed_out, dispatch_uid="clinicsite.accounts.logout_audit")
        user_login_failed.connect(sign_in.failed, dispatch_uid="clinicsite.accounts.failed_audit")


def _ensure_roles_once(sender: AppConfig, **kwargs: Any) -> None:
    """Run ``ensure_roles`` after the last app's post_migrate, not after each of them.

    post_migrate is sent once per installed app with models (28 of them), in INSTALLED_APPS
    order, and each app's permissions are created by its own signal; by the last one every app
    a role draws on has its permissions (``test_ensure_roles_is_idempotent`` fails otherwise).
    Running at every signal cost ~9 s of each ``migrate`` (and of every restore, which ends
    with one) to reach the same result.
    """
    from .roles import ensure_roles

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is with_models[-1]:
        ensure_roles(sender, **kwargs)
