"""Staff roles as Django groups, kept in code so every installation has the same ones.

``ensure_roles`` runs after every ``migrate`` and is idempotent: it creates missing groups and
adds the permissions each role needs, and never removes permissions an administrator added.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction

EDITOR = "Editor"
MARKETING = "Marketing"
INTAKE = "Intake coordinator"
CLINICIAN = "Clinician"
ADMINISTRATOR = "Administrator"

WAGTAIL_SAMPLE_GROUPS = ("Editors", "Moderators")

ROLES = (EDITOR, MARKETING, INTAKE, CLINICIAN, ADMINISTRATOR)

_NEWSLETTER = [
    ("newsletter", "view_subscriber"),
    ("newsletter", "export_subscriber"),
    ("newsletter", "erase_subscriber"),
    ("newsletter", "add_digest"),
    ("newsletter", "change_digest"),
    ("newsletter", "delete_digest"),
    ("newsletter", "view_digest"),
    ("newsletter", "send_digest"),
]

# Django model permissions per role: (app_label, codename).
_MODEL_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    EDITOR: [
        ("wagtailadmin", "access_admin"),
        ("content", "add_person"),
        ("content", "change_person"),
        ("content", "view_person"),
        ("content", "view_testimonial_release"),
        ("clinic", "view_condition"),
        ("clinic", "view_treatmentprotocol"),
        ("clinic", "change_clinicsettings"),
    ],
    MARKETING: [
        ("wagtailadmin", "access_admin"),
        *_NEWSLETTER,
    ],
    INTAKE: [
        ("wagtailadmin", "access_admin"),
        ("applications", "view_application"),
        ("applications", "change_application"),
    ],
    CLINICIAN: [
        ("wagtailadmin", "access_admin"),
        ("clinic", "add_condition"),
        ("clinic", "change_condition"),
        ("clinic", "view_condition"),
        ("clinic", "add_treatmentprotocol"),
        ("clinic", "change_treatmentprotocol"),
        ("clinic", "view_treatmentprotocol"),
        ("applications", "view_application"),
        ("applications", "change_application"),
        ("applications", "view_health_data"),
        ("applications", "decide_application"),
        ("applications", "export_application"),
        ("followups", "add_instrument"),
        ("followups", "change_instrument"),
        ("followups", "view_instrument"),
        ("followups", "add_timepoint"),
        ("followups", "change_timepoint"),
        ("followups", "view_timepoint"),
        ("content", "override_medical_review"),
    ],
    ADMINISTRATOR: [
        ("wagtailadmin", "access_admin"),
        ("clinic", "change_clinicsettings"),
        ("newsletter", "change_newslettersettings"),
        *_NEWSLETTER,
        ("content", "override_medical_review"),
        ("content", "view_testimonial_release"),
        ("core", "change_auditsettings"),  # whether applicants' addresses are kept
        ("axes", "view_accessattempt"),  # sign-in lockouts: see them
        ("axes", "delete_accessattempt"),  # and lift one
        ("accounts", "manage_second_factor"),  # issue and reset staff second factors
    ],
}

# Wagtail page permissions granted on the root page (so they cover the whole tree).
_PAGE_PERMISSIONS: dict[str, list[str]] = {
    EDITOR: ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
    ADMINISTRATOR: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
    ],
}

# Images and documents are permissioned per collection; editors get the root collection.
_COLLECTION_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]


def ensure_roles(sender: Any = None, **kwargs: Any) -> None:
    """Create the staff groups and grant their baseline permissions (idempotent)."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    using = kwargs.get("using", "default")

    def perm(app_label: str, codename: str) -> Permission | None:
        return (
            Permission.objects.using(using)
            .filter(content_type__app_label=app_label, codename=codename)
            .first()
        )

    with transaction.atomic(using=using):
        # Wagtail's migrations create sample "Editors"/"Moderators" groups; ours replace
        # them (left alone once anyone is a member, so nothing an administrator set is lost).
        Group.objects.using(using).filter(
            name__in=WAGTAIL_SAMPLE_GROUPS, user__isnull=True
        ).delete()
        root_page = Page.get_first_root_node()
        root_collection = Collection.get_first_root_node()
        for role in ROLES:
            group, _ = Group.objects.using(using).get_or_create(name=role)
            for app_label, codename in _MODEL_PERMISSIONS.get(role, []):
                if (p := perm(app_label, codename)) is not None:
                    group.permissions.add(p)
            for codename in _PAGE_PERMISSIONS.get(role, []):
                if root_page is not None and (p := perm("wagtailcore", codename)) is not None:
                    GroupPagePermission.objects.using(using).get_or_create(
                        group=group, page=root_page, permission=p
                    )
            if role in _PAGE_PERMISSIONS:  # those who write pages also manage their media
                for app_label, codename in _COLLECTION_PERMISSIONS:
                    if root_collection is not None and (p := perm(app_label, codename)) is not None:
                        GroupCollectionPermission.objects.using(using).get_or_create(
                            group=group, collection=root_collection, permission=p
                        )
