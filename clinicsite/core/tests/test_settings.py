"""Production settings must refuse to start without their secrets, with a secret anyone can
read in this repository, or without the cache every process shares; the demo makes its own."""

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

from django.core import signing
from django.test import override_settings

import pytest
from cryptography.fernet import Fernet

from clinicsite.settings.secrets import PUBLIC_FERNET_KEYS, PUBLIC_SECRET_KEYS, kept_secret

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "clinic.example",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY_FALLBACKS": "",
}
# Environment variables that would leak from the test run into the settings under test.
CLEARED = (*GOOD, "VAR_DIR")


def load_settings(
    module: str, then: str = "", **overrides: str | None
) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a fresh interpreter with GOOD plus ``overrides`` (None unsets), and
    run the statements ``then``."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update({k: v for k, v in {**GOOD, **overrides}.items() if v is not None})
    env["DJANGO_SETTINGS_MODULE"] = module
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print('started'); print('SECRET_KEY', settings.SECRET_KEY); "
        "print('FIELD_ENCRYPTION_KEYS', ','.join(settings.FIELD_ENCRYPTION_KEYS)); "
    ) + then
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def load_production(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    return load_settings("clinicsite.settings.production", **overrides)


def _refused(result: subprocess.CompletedProcess[str], variable: str) -> str:
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr
    return result.stderr


def _printed(result: subprocess.CompletedProcess[str], name: str) -> str:
    assert result.returncode == 0, result.stderr
    return re.search(rf"^{name} (.*)$", result.stdout, re.MULTILINE).group(1)


def test_production_starts_with_its_secrets():
    result = load_production()
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("ALLOWED_HOSTS", None),
        ("FIELD_ENCRYPTION_KEYS", None),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("REDIS_URL", None),
        ("REDIS_URL", ""),
    ],
)
def test_production_refuses_to_start_without(variable, value):
    _refused(load_production(**{variable: value}), variable)


def _env_example(name: str) -> str:
    text = (ROOT / ".env.example").read_text()
    return re.search(rf"^{name}=(.*)$", text, re.MULTILINE).group(1)


def _committed_literals(pattern: str) -> set[str]:
    """Every string literal of the given shape in the repository's settings, scripts and docs."""
    found: set[str] = set()
    for path in [*ROOT.glob("clinicsite/settings/*.py"), *ROOT.glob("bin/*"), ROOT / "Makefile"]:
        found.update(re.findall(pattern, path.read_text(errors="replace")))
    for path in [*ROOT.glob("bench/*.py"), ROOT / ".env.example", *ROOT.glob("docs/*.md")]:
        found.update(re.findall(pattern, path.read_text(errors="replace")))
    return found


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(_env_example("SECRET_KEY"), id="env-example"),
        pytest.param("dev-only-insecure-secret-key-do-not-use-in-production", id="old-dev"),
        pytest.param("test-secret-key-not-for-production-use-0123456789abcdef", id="test"),
        pytest.param("django-insecure-" + "a1b2c3d4e5" * 5, id="django-startproject"),
        pytest.param("x" * 60, id="one-character"),
    ],
)
def test_production_refuses_a_placeholder_secret_key_and_says_how_to_make_one(key):
    stderr = _refused(load_production(SECRET_KEY=key), "SECRET_KEY")
    assert "secrets.token_urlsafe" in stderr


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=", id="old-dev"),
        pytest.param("dGVzdC1rZXktb25lLWZvci10ZXN0cy1vbmx5LTAwMDA=", id="test"),
    ],
)
def test_production_refuses_a_committed_fernet_key_and_says_how_to_make_one(key):
    keys = f"{Fernet.generate_key().decode()},{key}"  # even as an old, decrypt-only key
    stderr = _refused(load_production(FIELD_ENCRYPTION_KEYS=keys), "FIELD_ENCRYPTION_KEYS")
    assert "Fernet.generate_key()" in stderr


def test_production_refuses_a_committed_key_among_the_fallbacks():
    old = "dev-only-insecure-secret-key-do-not-use-in-production"
    _refused(load_production(SECRET_KEY_FALLBACKS=old), "SECRET_KEY_FALLBACKS")


def test_every_key_written_in_the_repository_is_on_the_refused_lists():
    """A key added to a script or a settings file later must join the lists, or this fails."""
    fernet = {k for k in _committed_literals(r"[A-Za-z0-9_-]{43}=") if _is_fernet(k)}
    assert fernet <= PUBLIC_FERNET_KEYS
    assigned = _committed_literals(r"SECRET_KEY\s*[=:]\s*\"?'?([A-Za-z0-9_-]{20,})")
    assigned |= _committed_literals(r"\"SECRET_KEY\":\s*\"([^\"]{20,})\"")
    assert assigned <= PUBLIC_SECRET_KEYS | {_env_example("SECRET_KEY")}


def _is_fernet(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def test_the_demo_makes_its_own_keys_once_and_keeps_them(tmp_path):
    first = load_settings("clinicsite.settings.dev", VAR_DIR=str(tmp_path), **dict.fromkeys(GOOD))
    secret_key, field_key = _printed(first, "SECRET_KEY"), _printed(first, "FIELD_ENCRYPTION_KEYS")
    assert secret_key not in PUBLIC_SECRET_KEYS
    assert len(secret_key) >= 50
    assert field_key not in PUBLIC_FERNET_KEYS
    assert _is_fernet(field_key)
    for name, value in (("secret-key", secret_key), ("field-encryption-key", field_key)):
        path = tmp_path / name
        assert path.read_text().strip() == value
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_settings("clinicsite.settings.dev", VAR_DIR=str(tmp_path), **dict.fromkeys(GOOD))
    assert _printed(again, "SECRET_KEY") == secret_key
    assert _printed(again, "FIELD_ENCRYPTION_KEYS") == field_key
    elsewhere = load_settings("clinicsite.settings.dev", VAR_DIR=str(tmp_path / "other"))
    assert _printed(elsewhere, "SECRET_KEY") == GOOD["SECRET_KEY"]  # the environment wins


def test_a_kept_secret_is_written_whole_by_the_first_of_several_processes(tmp_path):
    path = tmp_path / "var" / "key"
    assert kept_secret(path, lambda: "first") == "first"
    assert kept_secret(path, lambda: "second") == "first"
    assert [p.name for p in path.parent.iterdir()] == ["key"]  # no scratch file left behind


def test_rotating_secret_key_keeps_sent_unsubscribe_links_working():
    """Production reads SECRET_KEY_FALLBACKS: a link signed before the rotation still opens."""
    from clinicsite.newsletter import tokens

    old, new = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=old):
        link = tokens.manage_token("subscriber-key")
    with override_settings(SECRET_KEY=new), pytest.raises(signing.BadSignature):
        tokens.read_manage_token(link)
    read = (
        "from clinicsite.newsletter import tokens; "
        f"print('READ', tokens.read_manage_token({link!r}))"
    )
    rotated = load_production(then=read, SECRET_KEY=new, SECRET_KEY_FALLBACKS=old)
    assert _printed(rotated, "READ") == "subscriber-key"
