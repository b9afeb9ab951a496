"""Local development and `bin/demo`: embedded SQLite, mail to files, visible errors."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR
from .env import env_bool, env_list, env_str
from .secrets import kept_secret, new_fernet_key, new_secret_key

DEBUG = env_bool("DEBUG", True)
# No committed keys: unless the environment gives them, this checkout makes its own on first
# use and keeps them in var/ (mode 0600), so every demo has keys nobody else knows.
SECRET_KEY = env_str("SECRET_KEY") or kept_secret(VAR_DIR / "secret-key", new_secret_key)
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS") or [
    kept_secret(VAR_DIR / "field-encryption-key", new_fernet_key)
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_FILE_PATH = VAR_DIR / "mail"
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders in development
