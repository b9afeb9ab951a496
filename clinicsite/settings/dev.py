"""Local development and `bin/demo`: embedded SQLite, mail to files, visible errors."""

from .base import *  # noqa: F403
from .base import STATIC_ROOT, VAR_DIR
from .env import env_bool, env_list, env_str

DEBUG = env_bool("DEBUG", True)
# Development-only defaults; production refuses to start without real values.
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production")
FIELD_ENCRYPTION_KEYS = env_list(
    "FIELD_ENCRYPTION_KEYS", ["ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="]
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_FILE_PATH = VAR_DIR / "mail"
SERVE_MEDIA = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from finders in development
