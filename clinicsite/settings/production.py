"""Production: refuses to start without its secrets or with a committed one, and without the
shared Redis cache; HTTPS-only cookies and HSTS."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REDIS_URL
from .env import env_bool, env_int, env_list, require
from .secrets import check_fernet_keys, check_secret_key

DEBUG = False
IS_PRODUCTION = True
SECRET_KEY = require("SECRET_KEY")
check_secret_key(SECRET_KEY)
# Keys retired from SECRET_KEY, newest first: links already sent (unsubscribe, status) that
# were signed with them keep working while SECRET_KEY itself has moved on.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
for _fallback in SECRET_KEY_FALLBACKS:
    check_secret_key(_fallback, "SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment for production.")
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set in the environment for production."
    )
check_fernet_keys(FIELD_ENCRYPTION_KEYS)
# Rate limits, the outcome tables and the page cache must be one cache for every process:
# per-process memory lets each gunicorn worker count and cache on its own. Required always,
# not only with several workers: bin/serve runs two, and one process today is two tomorrow.
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL must be set in the environment for production (e.g. redis://127.0.0.1:6379/0): "
        "rate limits and caches are shared by every app server process through it."
    )

TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)  # nginx in front (docs/operations.md)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is a decision for the clinic (hard to undo), so it
# is off by default and its deploy-check warning silenced; SECURE_HSTS_PRELOAD=true opts in.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
