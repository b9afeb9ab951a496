"""Fast, isolated test settings: quick hasher, locmem cache, tasks run immediately."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .env import env_str

SECRET_KEY = "test-secret-key-not-for-production-use-0123456789abcdef"
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktb25lLWZvci10ZXN0cy1vbmx5LTAwMDA="]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["*"]
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _scratch_dir(prefix: str) -> Path:
    """A temporary directory for this test process, removed when it exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


MEDIA_ROOT = _scratch_dir("clinicsite-test-media-")
PRIVATE_MEDIA_ROOT = _scratch_dir("clinicsite-test-private-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
TRUSTED_PROXY_COUNT = 1  # the tests play nginx: REMOTE_ADDR 127.0.0.1 plus X-Forwarded-For
# Test databases: SQLite in memory by default, PostgreSQL when DATABASE_URL says so.
if env_str("DATABASE_URL", "").startswith("postgres"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = _scratch_dir("clinicsite-test-static-")
