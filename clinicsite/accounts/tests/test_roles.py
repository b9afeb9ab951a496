from django.contrib.auth.models import Group
from django.core.management import call_command

from wagtail.models import Page

import pytest

from clinicsite.accounts import roles
from clinicsite.content.models import ArticlePage

pytestmark = pytest.mark.django_db


def make_user(django_user_model, username, *groups):
    user = django_user_model.objects.create_user(username=username, password="pw-for-tests")
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def test_every_role_exists_and_wagtail_sample_groups_are_gone():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.ROLES) <= names
    assert not names & set(roles.WAGTAIL_SAMPLE_GROUPS)


def test_ensure_roles_is_idempotent():
    before = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    roles.ensure_roles()
    after = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert before == after


def test_editor_can_edit_and_publish_articles(client, django_user_model):
    editor = make_user(django_user_model, "ed", roles.EDITOR)
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    perms = article.permissions_for_user(editor)
    assert perms.can_edit()
    assert perms.can_publish()
    client.force_login(editor)
    assert client.get(f"/admin/pages/{article.pk}/edit/").status_code == 200


@pytest.mark.parametrize("role", [roles.MARKETING, roles.INTAKE, roles.CLINICIAN])
def test_other_roles_cannot_edit_pages(client, django_user_model, role):
    user = make_user(django_user_model, "someone", role)
    article = ArticlePage.objects.get(slug="can-stem-cells-help-lupus")
    assert not article.permissions_for_user(user).can_edit()
    client.force_login(user)
    response = client.get(f"/admin/pages/{article.pk}/edit/")
    assert response.status_code in (302, 403)


def test_anonymous_users_are_sent_to_login(client):
    home = Page.objects.get(slug="home")
    response = client.get(f"/admin/pages/{home.pk}/edit/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_demo_admin_is_created_once_with_a_stable_password(
    settings, tmp_path, capsys, django_user_model
):
    settings.VAR_DIR = tmp_path
    call_command("ensure_demo_admin")
    first = capsys.readouterr().out
    call_command("ensure_demo_admin")
    second = capsys.readouterr().out
    assert first == second
    assert "username: admin" in first
    password = (tmp_path / "demo-admin-password").read_text().strip()
    assert password in first
    assert oct((tmp_path / "demo-admin-password").stat().st_mode)[-3:] == "600"
    admin = django_user_model.objects.get(username="admin")
    assert admin.check_password(password)
    assert admin.is_superuser
