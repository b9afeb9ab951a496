"""Settings shared by every environment. Everything variable comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from .env import env_bool, env_int, env_list, env_str

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "clinicsite.core",
    "clinicsite.accounts",
    "clinicsite.clinic",
    "clinicsite.applications",
    "clinicsite.followups",
    "clinicsite.outcomes",
    "clinicsite.content",
    "clinicsite.newsletter",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "axes",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "clinicsite.core.pagecache.AnonymousPageCacheMiddleware",  # first: hits skip the rest
    "django.middleware.security.SecurityMiddleware",
    "clinicsite.core.middleware.SecurityHeadersMiddleware",  # before WhiteNoise: static too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "clinicsite.core.middleware.WagtailSiteMiddleware",  # after CommonMiddleware's host check
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinicsite.accounts.middleware.AdminSecondFactorMiddleware",  # every /admin/ request
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinicsite.accounts.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinicsite.core.middleware.AdminContentSecurityPolicyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a refused (locked-out) sign-in into its page
    "clinicsite.core.middleware.MisplacedCiphertextMiddleware",  # a moved ciphertext: 409
]

ROOT_URLCONF = "clinicsite.urls"
WSGI_APPLICATION = "clinicsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "clinicsite.core.context_processors.page_fragments",
            ],
        },
    },
]

# --- Database: DATABASE_URL, defaulting to an embedded SQLite file under var/ ---
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clinicsite.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"].startswith(str(VAR_DIR)):
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" upgrades inside write transactions.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses credentials while locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (django-axes, database handler so every app server sees the same count):
# after LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# refused for LOGIN_COOLOFF_MINUTES (answer 429, even with the right password). Keyed on the
# pair so nobody can lock a colleague out from elsewhere; the address is the one the audit log
# and the rate limits use (``core.audit.client_ip``). Administrators see and lift lockouts
# under Settings.
# How many reverse proxies stand in front of the app server, each appending to
# X-Forwarded-For (nginx = 1). 0 ignores the header, which a client can write. Production
# defaults to 1 (the documented nginx deployment).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# The database handler keeps attempts in the database (no cache), so every process counts alike.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "clinicsite.core.audit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clinicsite.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not kept with their address
AXES_VERBOSE = False

# --- Internationalisation ---
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files ---
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PROJECT_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files that must never have a public URL (signed patient releases; applicants' medical
# records, encrypted): outside MEDIA_ROOT, served only through permission-checked views.
# Back it up with the database.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
APPLICATION_UPLOAD_MAX_BYTES = env_int("APPLICATION_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
APPLICATION_UPLOAD_MAX_FILES = 5
APPLICATION_RETENTION_DAYS = env_int("APPLICATION_RETENTION_DAYS", 365)
APPLICATION_DRAFT_DAYS = env_int("APPLICATION_DRAFT_DAYS", 30)
APPLICATION_STATUS_LINK_DAYS = env_int("APPLICATION_STATUS_LINK_DAYS", 365)
APPLICATION_PRIVACY_NOTICE_VERSION = env_str("APPLICATION_PRIVACY_NOTICE_VERSION", "2026-01")
APPLICATION_RATE_LIMIT = env_int("APPLICATION_RATE_LIMIT", 30)  # POSTs per IP per minute
# Follow-up: days a questionnaire stays open after it is due (reminders at 3 and 7 days).
FOLLOWUP_RESPONSE_DAYS = env_int("FOLLOWUP_RESPONSE_DAYS", 21)
# Demo data loaded by `manage.py load_demo` after the content (management command names).
DEMO_LOADERS = ["load_demo_followups", "load_demo_newsletter"]
# --- Newsletter ---
NEWSLETTER_LANGUAGES = [("en", "English"), ("es", "Español")]
NEWSLETTER_CONFIRM_DAYS = env_int("NEWSLETTER_CONFIRM_DAYS", 7)  # confirmation link lifetime
NEWSLETTER_MIN_FILL_SECONDS = env_int("NEWSLETTER_MIN_FILL_SECONDS", 2)
NEWSLETTER_FORM_MAX_AGE = 24 * 3600  # a sign-up form older than this is shown again
NEWSLETTER_SIGNUPS_PER_IP_HOUR = env_int("NEWSLETTER_SIGNUPS_PER_IP_HOUR", 20)
NEWSLETTER_MAILS_PER_ADDRESS_DAY = env_int("NEWSLETTER_MAILS_PER_ADDRESS_DAY", 3)
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 200)
NEWSLETTER_SENDERS = env_int("NEWSLETTER_SENDERS", 2)  # parallel send tasks per digest
NEWSLETTER_CLAIM_TIMEOUT_SECONDS = 600  # a worker's claim older than this was lost in a crash
# Staff who need a second factor are signed out after this many seconds without an action of
# theirs (background pings don't count; accounts/middleware.py StaffIdleTimeoutMiddleware).
HEALTH_DATA_IDLE_SECONDS = env_int("HEALTH_DATA_IDLE_SECONDS", 15 * 60)
# An issued second-factor enrolment code stays usable this long (accounts/second_factor.py)
SECOND_FACTOR_ENROLMENT_HOURS = env_int("SECOND_FACTOR_ENROLMENT_HOURS", 72)
# Staff who must use a second factor get no e-mailed password reset (accounts/forms.py)
WAGTAILADMIN_USER_PASSWORD_RESET_FORM = "clinicsite.accounts.forms.StaffPasswordResetForm"
# Upload limits (docs/security-controls.md): every form takes one file of at most 10 MB
# (applications, images, documents); the form fields may hold 5 MB; a whole upload request is
# refused above 12 MB before it is read (core/uploads.py), like nginx's client_max_body_size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2_000
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", 12 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "clinicsite.core.uploads.RequestBodyLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Caches: one store for every process, never per-process memory. "default" counts the rate
# limits (core/ratelimit.py) and holds the outcome tables and page fragments; "pages" holds
# whole anonymous page responses (core/pagecache.py). Both must be seen alike by every gunicorn
# worker, or each worker counts and caches on its own (a limit of N lets N per worker through;
# a new treatment shows in one worker and not the next). Redis when REDIS_URL is set (required
# in production); otherwise file caches under var/, shared by the processes of one machine.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "default"),
            # Pages keep a few fragments each per cache generation (core.pagecache.remember);
            # Django's default of 300 entries would have them evict each other.
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache" / "pages"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)

# --- Background tasks: django-tasks with its database backend (worker: manage.py db_worker) ---
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Mail: Django's own setting names. No EMAIL_HOST → files under var/mail ---
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clinic <no-reply@clinic.example>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# A mail server that is down or answers 4xx: mail tasks retry after 15 s, doubling, at most 10 min.
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 15)
MAIL_RETRY_MAX_SECONDS = env_int("MAIL_RETRY_MAX_SECONDS", 600)

# --- Health-data encryption: Fernet keys, newest first (see docs/operations.md) ---
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
# Accept ciphertext written before values were bound to their row (core/crypto.py). Only for
# the window between deploying binding and running `manage.py rotate_keys`; off by default.
FIELD_ENCRYPTION_ALLOW_UNBOUND = env_bool("FIELD_ENCRYPTION_ALLOW_UNBOUND", False)

# --- Security headers (core/middleware.py lists which middleware sets which header) ---
# Public pages: this origin only, no inline script or style, so no nonce (they are cached for
# every visitor). The admin adds a per-request script nonce (core/csp.py).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"  # no other site may embed our pages, images, files
# Browser features the site never uses, denied to every origin (an empty list); videos on
# story pages may go full screen and picture-in-picture. Only names Chromium knows: unknown
# ones (interest-cohort, ambient-light-sensor, bluetooth) only earn a console warning.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    **{
        feature: []
        for feature in (
            "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture",
            "encrypted-media", "gamepad",
            "geolocation", "gyroscope", "hid", "identity-credentials-get", "idle-detection",
            "local-fonts", "magnetometer", "microphone", "midi", "otp-credentials", "payment",
            "publickey-credentials-create", "publickey-credentials-get", "screen-wake-lock",
            "serial", "storage-access", "usb", "window-management", "xr-spatial-tracking",
        )
    },
    "fullscreen": ["self"],
    "picture-in-picture": ["self"],
}  # fmt: skip
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: forms post the hidden field, the admin reads its token from
# the page, and the newsletter sign-up is CSRF-exempt (docs/architecture.md).
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "media-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-src": [NONE],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
    }
}

# --- Wagtail ---
WAGTAIL_SITE_NAME = env_str("WAGTAIL_SITE_NAME", "Harbour Cell Therapy Clinic")
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME  # the name authenticator apps show
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILIMAGES_IMAGE_MODEL = "core.ClinicImage"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILDOCS_EXTENSIONS = ["pdf", "mp4", "webm", "vtt", "txt"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = env_int("DOCUMENT_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Wagtail's database backend, with every query cleaned first (core/search.py).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "clinicsite.core.search"}}
WAGTAILEMBEDS_FINDERS: list[dict] = []  # never call out to oEmbed providers
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Staff avatars are never fetched from gravatar.com (it would send a hash of their address to
# another origin on every admin page, and the CSP refuses other origins anyway).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_USAGE_COUNT_ENABLED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Signed links' tokens are masked in every line (core/accesslog.py).
    "filters": {"mask_tokens": {"()": "clinicsite.core.accesslog.MaskTokensFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_tokens"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request bodies never reach the log: error reports name the path only.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "wagtail": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
