"""Access control lives in ``accounts``, beside the roles, where every app can see it.

``followups`` and ``outcomes`` guard their admin screens with the same ``staff_view``, second
factor and health-data rule as applications; they take them from ``accounts.access``, so
none of them reaches into ``applications`` for a permission check (``followups`` may still
use the ``Application`` model: the dependency runs that way).
"""

from __future__ import annotations

from clinicsite.core.tests.source import imports, modules

# Of applications, only its models; access rules come from accounts.
MAY_USE_OF_APPLICATIONS = {"followups": {"clinicsite.applications.models"}, "outcomes": set()}


def _project_imports(app: str) -> dict[str, set[str]]:
    found = {}
    for module, path in modules(app):
        names = {name for name in imports(module, path) if name.startswith("clinicsite.")}
        found[module] = names
    return found


def _within(name: str, allowed: set[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in allowed)


def test_followups_and_outcomes_take_access_rules_from_accounts_not_applications():
    for app, allowed in MAY_USE_OF_APPLICATIONS.items():
        by_module = _project_imports(app)
        assert by_module, f"found no modules of {app}: the walk is broken"
        for module, names in by_module.items():
            from_applications = {n for n in names if _within(n, {"clinicsite.applications"})}
            stray = {n for n in from_applications if not _within(n, allowed)}
            assert stray == set(), f"{module} imports {stray}; use clinicsite.accounts.access"


def test_the_health_data_views_of_followups_and_outcomes_use_accounts_staff_view():
    uses = {
        module
        for app in MAY_USE_OF_APPLICATIONS
        for module, names in _project_imports(app).items()
        if "clinicsite.accounts.access.staff_view" in names
    }
    assert uses == {"clinicsite.followups.admin_views", "clinicsite.outcomes.views"}


def test_accounts_imports_only_core():
    for module, names in _project_imports("accounts").items():
        stray = {n for n in names if not _within(n, {"clinicsite.accounts", "clinicsite.core"})}
        assert stray == set(), f"{module} imports {stray}: accounts sits beside core"
