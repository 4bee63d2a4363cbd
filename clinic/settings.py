"""Backstep settings: one module, configured only through environment variables.

Defaults give a laptop setup with nothing installed: SQLite, Celery tasks run
eagerly in-process, local-memory cache, e-mail printed to the console. Setting
DATABASE_URL and REDIS_URL switches to PostgreSQL, a Redis broker/result
backend/cache and real Celery workers. DJANGO_ENV=production turns on
hardening and refuses to start without a SECRET_KEY and ALLOWED_HOSTS.
Every variable read here is listed in .env.example and the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or default


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower() or "development"
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured("DJANGO_ENV must be development, test or production")
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_ENV=production needs SECRET_KEY to be set")
    # Only for development and tests; production refuses to start without one.
    SECRET_KEY = "dev-only-insecure-key-not-for-production"

# Off unless DEBUG=true, in development too: `make run` shows Backstep's own 404 and 500 pages, not
# Django's technical pages (every URL pattern; on a 500, settings and local variables). A developer
# who wants those sets DEBUG=true.
DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    # DEBUG pages show settings, SQL and local variables (patient data) to anyone.
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production: unset DEBUG or set DEBUG=false")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS to be set")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # Django's admin behind Backstep's own sign-in (lockout, two-factor): clinic/admin_site.py.
    "clinic.apps.SiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic",
    "protocols",
    "patients",
    "monitoring",
    "exercise_media",
    "outcomes",
    "fhir",
    "reminders",
]

MIDDLEWARE = [
    # HTML pages go compressed (a phone on a slow network, issue 15's budgets). Django's GZip middleware pads
    # each page with random bytes against BREACH, and CSRF tokens are masked per answer. Static files come
    # compressed from WhiteNoise; API answers, downloads and media go as they are (clinic/compression.py).
    "clinic.compression.PageGZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response, static files included.
    "clinic.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.tenancy.TenancyMiddleware",
    # django-otp's (request.user.is_verified()), after tenancy: the session's device is checked against the
    # caller's confirmed devices that tenancy resolved and cached, not loaded on every request.
    "clinic.security.middleware.TwoFactorStateMiddleware",
    # The signed-in person's language (theirs, else their clinic's), from the actor tenancy resolved; signed
    # out, LocaleMiddleware's cookie or Accept-Language stands (clinic/language.py).
    "clinic.language.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff session limits and two-factor; after messages, so it can say why a session ended.
    "clinic.security.middleware.SignInSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a sign-in lockout into our 429 page (clinic.security.lockout.sign_in_locked_out).
    "axes.middleware.AxesMiddleware",
    # Last, so that only requests every check above let through are audited as reads or writes.
    "clinic.audit.AuditMiddleware",
]
# Behind exactly one reverse proxy of ours, which appends the client's address to X-Forwarded-For and sets
# X-Request-ID: the audit trail and the sign-in lockout then take both from it. Off, both headers are the
# client's own words and are ignored. AUDIT_TRUST_X_FORWARDED_FOR is the switch's earlier name, still read.
TRUST_PROXY_HEADERS = env_bool("TRUST_PROXY_HEADERS", default=env_bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False))

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
ASGI_APPLICATION = "clinic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.tenancy.tenancy_context",
                "clinic.context_processors.clinic_admin_alerts",
                "patients.context_processors.open_flags",
            ],
            # Backstep's own texts in the reader's language on every page: {{ value|builtin }}.
            "builtins": ["clinic.templatetags.builtin_text"],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    # Backstep has SQL of its own for these two (the adherence report, the audit write): refuse any other at start.
    if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        raise ImproperlyConfigured("DATABASE_URL must be a PostgreSQL (postgres://) or SQLite (sqlite://) URL")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "clinic.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -------------------------------------------------
# Every text a person reads goes through Django's translation machinery; Backstep writes its Spanish and
# German itself (locale/<code>/LC_MESSAGES/django.po and djangojs.po, compiled .mo files committed so the
# app runs without gettext installed). `make messages` re-extracts and compiles; README: adding a language.
# Each language is named in itself in the choosers (a Spanish reader looks for "Español", not "Spanish").
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("de", "Deutsch")]
# The browser remembers a signed-in person's language for the signed-out pages (clinic/language.py): a year,
# server-side only (no script reads it), same-site.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates the way each language writes them (clinic/formats/): templates name a format ("SHORT_DATE_FORMAT"),
# never spell one. Numbers use each language's decimal separator; no thousands separator anywhere.
FORMAT_MODULE_PATH = ["clinic.formats"]
USE_THOUSAND_SEPARATOR = False
# The default zone for new clinics; each clinic keeps its own (Clinic.timezone)
# and requests run in their clinic's zone.
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# assets/ holds the npm libraries copied by `npm run build` (see scripts/).
STATICFILES_DIRS = [BASE_DIR / "static", BASE_DIR / "assets"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# --- Exercise media (pictures and videos clinics upload; exercise_media/) ------------------------------
# Stored through Django's storage API under the "exercise_media" alias, never under a public URL: every file
# is served by a permission-checked view. Local files by default (MEDIA_PRIVATE_ROOT, outside static/);
# with MEDIA_S3_BUCKET set, any S3-compatible object store through django-storages, which every web and
# worker replica then shares (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as boto3 reads them).
MEDIA_PRIVATE_ROOT = os.environ.get("MEDIA_PRIVATE_ROOT", "") or str(BASE_DIR / "private-media")
MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET", "").strip()


def _private_storage(folder: str) -> dict:
    """A private store (exercise media, bulk exports): S3-compatible with MEDIA_S3_BUCKET, else local files."""
    if MEDIA_S3_BUCKET:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": MEDIA_S3_BUCKET,
                "endpoint_url": os.environ.get("MEDIA_S3_ENDPOINT_URL", "").strip() or None,
                "region_name": os.environ.get("MEDIA_S3_REGION", "").strip() or None,
                "location": folder,
                # Private objects, never overwritten; the app streams them (no URL to the bucket reaches a page).
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_auth": True,
            },
        }
    location = MEDIA_PRIVATE_ROOT if folder == "exercise-media" else str(Path(MEDIA_PRIVATE_ROOT) / folder)
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": location, "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }


STORAGES["exercise_media"] = _private_storage("exercise-media")
# Bulk Data export files (fhir/): the same private store, their own folder; they expire after
# FHIR_EXPORT_RETENTION_HOURS and are read only by the caller who started the export.
STORAGES["fhir_exports"] = _private_storage("fhir-exports")
FHIR_EXPORT_RETENTION_HOURS = int(os.environ.get("FHIR_EXPORT_RETENTION_HOURS", "24"))
# Upload limits, checked before a byte is stored (bytes; videos also by length in seconds).
EXERCISE_MEDIA_MAX_IMAGE_BYTES = int(os.environ.get("EXERCISE_MEDIA_MAX_IMAGE_BYTES", str(20 * 1024 * 1024)))
EXERCISE_MEDIA_MAX_VIDEO_BYTES = int(os.environ.get("EXERCISE_MEDIA_MAX_VIDEO_BYTES", str(200 * 1024 * 1024)))
EXERCISE_MEDIA_MAX_VIDEO_SECONDS = int(os.environ.get("EXERCISE_MEDIA_MAX_VIDEO_SECONDS", "180"))
# Debian's ffmpeg package (apt-get install ffmpeg) transcodes videos in the Celery worker.
FFMPEG_BINARY = os.environ.get("FFMPEG_BINARY", "ffmpeg")
FFPROBE_BINARY = os.environ.get("FFPROBE_BINARY", "ffprobe")

# Outside production, WhiteNoise serves static files straight from static/ and assets/ (re-read when they
# change), whatever DEBUG is: runserver's own static handling is off (whitenoise.runserver_nostatic) and
# works only with DEBUG on. Production serves the collected, hashed files.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- Redis, cache and Celery ---------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
        # The caller cache (clinic.tenancy.cached_actor): same Redis, but a request never waits long for it;
        # after a failure the process skips it for ACCESS_CACHE_BREAK_SECONDS (clinic/access_cache.py).
        "access": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "access",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "backstep"},
        "access": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "backstep-access"},
    }
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    # No Redis: tasks run in-process when enqueued, so nothing needs a worker.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "60"))
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "90"))
# A dead broker must never hang a web request: fail fast, and let the nightly
# sweep pick up whatever could not be enqueued.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "visibility_timeout": 3600,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # The default retries a dead result store for ~20 s; a web request cannot wait that long.
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"
# Hourly ticks; each task decides per clinic from its own time zone (sweep from
# 02:00, digest from 07:00 local) and records what it did, so a tick that runs
# twice or late does no harm.
CELERY_BEAT_SCHEDULE = {
    "nightly-sweep": {"task": "patients.nightly_sweep", "schedule": 3600.0, "options": {"expires": 3000}},
    "daily-digests": {"task": "patients.send_daily_digests", "schedule": 3600.0, "options": {"expires": 3000}},
    # Staff e-mails whose message was lost (broker down, worker killed) are sent again when due.
    "due-notifications": {"task": "clinic.send_due_notifications", "schedule": 3600.0, "options": {"expires": 3000}},
    # Videos whose transcode was never sent (broker down) or whose worker died mid-way: run again, or marked
    # failed. (A dead worker's own message comes back sooner: exercise_media.tasks.)
    "resume-media": {"task": "exercise_media.resume_stale", "schedule": 3600.0, "options": {"expires": 3000}},
    # Patient reminders: every 5 minutes, each patient's due reminders in their own time zone
    # (reminders/services/tick.py); the delivery ledger sends each one once.
    "reminders-tick": {"task": "reminders.tick", "schedule": 300.0, "options": {"expires": 240}},
    # Bulk FHIR exports: resume those whose worker died, and delete files past their expiry.
    "sweep-exports": {"task": "fhir.sweep_exports", "schedule": 3600.0, "options": {"expires": 3000}},
}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- E-mail ---------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds before a silent mail server counts as a failed attempt (retried later): a send
# holds its notification's row lock, and the worker, while it waits.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Backstep <no-reply@backstep.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Reminders: Web Push (VAPID) --------------------------------------------
# Make a pair with `python manage.py webpush_keys`; without them, reminders go by e-mail only.
WEBPUSH_VAPID_PUBLIC_KEY = os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_SUBJECT = os.environ.get("WEBPUSH_VAPID_SUBJECT", "mailto:admin@backstep.local")

# --- Forms and API --------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Every form, whoever renders it: a refused form opens on its first field with an error (clinic/form_renderer.py).
FORM_RENDERER = "clinic.form_renderer.BackstepFormRenderer"
# Confirmations name the patient: messages stay on the server (the session), never in a readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Request size limits. Nothing in Backstep takes a file, and no form or API body comes near 1 MiB: larger
# bodies are refused (HTML: 400 page; API: 413 JSON, see clinic/api/parsers.py) before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500  # the largest form (flag inbox, admin inlines) sends far fewer
DATA_UPLOAD_MAX_NUMBER_FILES = 5
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Files are never stored: multipart bodies over the limit are refused unread, file parts skipped (clinic/uploads.py).
# The one exception, the exercise media pages, sets its own size-limited handler per request
# (exercise_media.views.staff_upload_page, with the EXERCISE_MEDIA_MAX_* limits above).
FILE_UPLOAD_HANDLERS = ["clinic.uploads.RefuseUploads"]

REST_FRAMEWORK = {
    # API keys first: an unauthenticated request then gets 401 (WWW-Authenticate: Api-Key), not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "clinic.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "clinic.api.permissions.IsAuthenticatedActor",
        "clinic.api.permissions.ApiKeysReadOnly",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["clinic.api.permissions.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_KEY_RATE", "600/minute")},
    "DEFAULT_FILTER_BACKENDS": ["clinic.api.filters.FilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "clinic.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "clinic.api.exceptions.api_exception_handler",
    "DATE_FORMAT": "iso-8601",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON only, size-limited: every client sends JSON; form and multipart bodies get 415.
    "DEFAULT_PARSER_CLASSES": ["clinic.api.parsers.JSONParser"],
    # JSON out too: DRF's browsable pages need inline styles the CSP refuses; /api/docs/ is the interactive view.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Backstep API",
    "DESCRIPTION": (
        "Retro-incline knee rehabilitation: protocols, patients, sessions, flags and adherence reports. "
        "Sign in with a browser session (CSRF) or send `Authorization: Api-Key <key>` (read-only, one clinic)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (npm swagger-ui-dist), never a CDN.
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the errors shared code answers (401, 403, 404, 429, 400, 413, 415).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "clinic.api.schema.document_error_responses",
    ],
}

# --- Sessions -------------------------------------------------------------
SESSION_COOKIE_AGE = 60 * 60 * 12
# How long the caller's resolved state (membership and role or patient record, clinic, two-factor facts) may
# stay in the cache. Any change to it is seen on the next request regardless (clinic.tenancy.access_changed):
# this only bounds the cache's memory.
ACCESS_CACHE_SECONDS = 60 * 60
ACCESS_CACHE_ALIAS = "access"
# After the caller cache fails or times out once, this process resolves callers from the database for this long.
ACCESS_CACHE_BREAK_SECONDS = 30
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# --- Sign-in hardening ------------------------------------------------------
# See clinic/security/ (lockout.py, two_factor.py, sessions.py). The lockout backend comes first so a locked-out
# e-mail + address is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "clinic.security.lockout.SignInLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SIGN_IN_FAILURE_LIMIT = 5
SIGN_IN_LOCKOUT_MINUTES = 15
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = SIGN_IN_LOCKOUT_MINUTES / 60  # hours
# Per e-mail AND address: an attacker elsewhere cannot lock the real user out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "clinic.security.lockout.sign_in_username"
# The key authenticate() is called with (and the sign-in form's field). Axes' default, USERNAME_FIELD ("email"),
# left the backend's lockout check without an e-mail whenever the request had no "username" field to fall back
# on, so a page other than sign-in that checks a password (an invitation) was never locked out.
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "clinic.security.lockout.sign_in_client_ip"
AXES_LOCKOUT_CALLABLE = "clinic.security.lockout.sign_in_locked_out"
# Masked in axes' log lines: e-mail addresses and client addresses never reach the log.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]
OTP_TOTP_ISSUER = "Backstep"
# Authenticators are set up only on Backstep's own pages, by their owner: Django's admin never shows a device's
# secret or QR code (django-otp's config and QR views answer 403; a site admin can still delete a lost device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Everyone who can open Django's admin (is_staff or is_superuser) gives a code from an authenticator app:
# always in production; in development when this is on or a clinic they belong to requires it. Off by
# default so `make run` needs no phone (its demo has no superuser anyway).
ADMIN_REQUIRE_TWO_FACTOR = env_bool("ADMIN_REQUIRE_TWO_FACTOR", default=False)
# Staff (therapists, clinic admins); patients keep 30 days (both in clinic/security/sessions.py).
STAFF_SESSION_IDLE_SECONDS = 15 * 60
STAFF_SESSION_MAX_SECONDS = 12 * 60 * 60

# --- Production hardening --------------------------------------------------
# HTTPS-only: keyed to DJANGO_ENV, not to DEBUG, since `make run` (DEBUG off) serves plain HTTP on localhost.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Headers that cost nothing over plain HTTP are on everywhere, so development and
# the tests see what production sends (clinic.headers adds the CSP).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Logging --------------------------------------------------------------
# Health data never goes to logs at INFO: log ids, never names or pain scores.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Keeps traceback frames, hides database row/key/parameter values (clinic/logging.py).
        "plain": {
            "class": "clinic.logging.ScrubbingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Drop Django's default handlers: its DEBUG console prints unscrubbed tracebacks and
        # mail_admins e-mails the request body and local variables. Everything goes to "console".
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
        # axes announces every successful sign-in at INFO (masked); lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}
