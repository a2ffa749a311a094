"""Settings of the portal, all read from the environment (see README, "Portal settings")."""

import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    if not value:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and systemd secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def envlist(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def dev_secret(filename: str, make=lambda: secrets.token_urlsafe(50)) -> str:
    """A random value kept under var/, for development machines only."""
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", True)
SECRET_KEY = secret("SECRET_KEY") or (dev_secret("portal-secret-key") if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")


def _dev_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# OAuth tokens are encrypted at rest with these Fernet keys: the first encrypts, every one
# decrypts (rotate: put the new key first, run `manage.py rotate_encryption_keys`, drop the old).
PORTAL_ENCRYPTION_KEYS = envlist("PORTAL_ENCRYPTION_KEYS") or (
    [dev_secret("portal-encryption-key", _dev_fernet_key)] if DEBUG else []
)
if not PORTAL_ENCRYPTION_KEYS:
    raise RuntimeError("PORTAL_ENCRYPTION_KEYS must be set when DEBUG is off")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "portal.accounts",
    "portal.shops",
    "portal.mirror",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.accounts.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, workers and beat share one file: WAL lets readers run beside a writer;
    # IMMEDIATE takes the write lock up front so concurrent writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "shops:list"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security (production defaults follow DEBUG; each can be set on its own) ---------------
# The sandbox also runs on 127.0.0.1 in development, and browsers share cookies between ports
# of one host: distinct names keep the portal's session apart from the sandbox's.
SESSION_COOKIE_NAME = "portal_session"
CSRF_COOKIE_NAME = "portal_csrftoken"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
if envbool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself (and strips the client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Email: SMTP in production; in development, files under var/mail/ (see /dev/mail/) -----
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AutoSync portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST or not DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = EMAIL_HOST or "localhost"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # authlib's debug lines include token bodies: keep it at WARNING whatever LOG_LEVEL says.
    "loggers": {"authlib": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
if not DEBUG:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

# --- AutoSync (see ../shared/spec/autosync-contract.md) -------------------------------------
AUTOSYNC_API_URL = os.environ.get("AUTOSYNC_API_URL", "http://127.0.0.1:8001/v1").rstrip("/")
AUTOSYNC_AUTHORIZE_URL = os.environ.get(
    "AUTOSYNC_AUTHORIZE_URL", "http://127.0.0.1:8001/oauth/authorize"
)
AUTOSYNC_CLIENT_ID = secret("AUTOSYNC_CLIENT_ID")
AUTOSYNC_CLIENT_SECRET = secret("AUTOSYNC_CLIENT_SECRET")
AUTOSYNC_WEBHOOK_SECRET = secret("AUTOSYNC_WEBHOOK_SECRET")
# Where `manage.py register_with_sandbox` keeps the registration with a local sandbox; read
# only when the environment names no client (against the real AutoSync it always does).
AUTOSYNC_CLIENT_FILE = VAR_DIR / "autosync-client.json"
if not AUTOSYNC_CLIENT_ID and AUTOSYNC_CLIENT_FILE.exists():
    _registration = json.loads(AUTOSYNC_CLIENT_FILE.read_text())
    AUTOSYNC_CLIENT_ID = _registration["client_id"]
    AUTOSYNC_CLIENT_SECRET = _registration["client_secret"]
    AUTOSYNC_WEBHOOK_SECRET = _registration["webhook_secret"]
    if "AUTOSYNC_API_URL" not in os.environ:
        AUTOSYNC_API_URL = _registration["api_url"].rstrip("/")
    if "AUTOSYNC_AUTHORIZE_URL" not in os.environ:
        AUTOSYNC_AUTHORIZE_URL = _registration["authorize_url"]

# --- Celery and the mirror (portal.mirror) --------------------------------------------------
# Embedded default: a filesystem broker under var/celery/ (portal.broker: kombu's filesystem
# transport with atomic writes; one machine, workers poll the folder, no remote control or
# events; docs/operations.md). Production: CELERY_BROKER_URL=redis://…
CELERY_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"
    for _folder in ("queue", "processed", "control", "tmp", "failed"):
        (CELERY_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),  # else kombu makes ./control
        # Messages are written here, then renamed into the queue (same filesystem); files
        # that are not valid messages are moved to failed/.
        "temp_folder": str(CELERY_DIR / "tmp"),
        "failed_folder": str(CELERY_DIR / "failed"),
        "store_processed": False,
        # Seconds between looks at the folder: the floor of a webhook's time to the mirror.
        "polling_interval": float(os.environ.get("CELERY_POLLING_INTERVAL", "0.1")),
    }
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # the filesystem transport has no fanout
else:
    # An unacknowledged task returns to the queue after this long (acks_late); the sync's
    # lease keeps a redelivered run from running beside the original.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # a long sync must not hold other tasks hostage
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A sync's lease on its shop lasts this long past its last request (a crashed worker's shop
# is free again after it).
MIRROR_LEASE_SECONDS = envint("MIRROR_LEASE_SECONDS", 90)
# Webhooks never queue behind a sync: `make run` and the deploy docs start one worker for
# `webhooks,celery` and one for `sync`. Anything not listed stays on the default `celery`.
CELERY_TASK_ROUTES = {
    "portal.mirror.tasks.process_event": {"queue": "webhooks"},
    "portal.mirror.tasks.sweep_events": {"queue": "webhooks"},
    "portal.mirror.tasks.refresh_work_order": {"queue": "webhooks"},
    "portal.mirror.tasks.run_sync": {"queue": "sync"},
    "portal.mirror.tasks.schedule_syncs": {"queue": "sync"},
    "portal.mirror.tasks.resume_stalled_runs": {"queue": "sync"},
}
# Webhook events (their bodies are personal data) are deleted this many days after arrival.
MIRROR_WEBHOOK_RETENTION_DAYS = envint("MIRROR_WEBHOOK_RETENTION_DAYS", 7)
CELERY_BEAT_SCHEDULE = {
    "mirror-open-work-orders": {
        "task": "portal.mirror.tasks.schedule_syncs",
        "schedule": envint("MIRROR_OPEN_POLL_SECONDS", 60),
        "args": ("open",),
    },
    "mirror-incremental": {
        "task": "portal.mirror.tasks.schedule_syncs",
        "schedule": envint("MIRROR_INCREMENTAL_SECONDS", 300),
        "args": ("incremental",),
    },
    "mirror-reconciliation": {
        "task": "portal.mirror.tasks.schedule_syncs",
        "schedule": envint("MIRROR_FULL_SECONDS", 6 * 3600),
        "args": ("full",),
    },
    "mirror-sweep-webhook-events": {
        "task": "portal.mirror.tasks.sweep_events",
        "schedule": 60,
    },
    "mirror-resume-stalled-syncs": {
        "task": "portal.mirror.tasks.resume_stalled_runs",
        "schedule": 60,
    },
    "mirror-prune-webhook-events": {
        "task": "portal.mirror.tasks.prune_events",
        "schedule": 3600,
    },
}
