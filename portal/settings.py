"""Settings of the portal, all read from the environment (see README, "Portal settings")."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django_guid.integrations import CeleryIntegration
from pythonjsonlogger.core import RESERVED_ATTRS as JSON_LOG_RESERVED_ATTRS

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


# Off unless set: a forgotten variable must give production behaviour, not debug pages.
# `make run` and the test targets set DEBUG=1.
DEBUG = envbool("DEBUG", False)
SECRET_KEY = secret("SECRET_KEY") or (dev_secret("portal-secret-key") if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off "
        "(on a development machine, set DEBUG=1)"
    )
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
    "axes",
    "django_ratelimit",
    "csp",
    "health_check",
    "django_guid",
    "portal.accounts",
    "portal.shops",
    "portal.mirror",
    "portal.ui",
    "portal.booking",
    "portal.garage",
    "portal.dashboard",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # first: every log line of the request has its id
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "portal.accounts.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before the idle sign-out, which reads the session: an unchanged poll with its page's
    # pass is answered without it (portal/accounts/passes.py).
    "portal.accounts.passes.PollPassMiddleware",
    "portal.accounts.middleware.session_lifetime",
    "portal.accounts.owners.OwnerMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # a throttled view -> RATELIMIT_VIEW
    "axes.middleware.AxesMiddleware",  # last: it turns a lock-out into the lock-out page
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
                "csp.context_processors.nonce",
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
if envbool("DATABASE_POOLER", False):
    # Behind PgBouncer in transaction mode (docs/deploy.md): the pooler keeps the connections,
    # and a server-side cursor would not survive from one transaction to the next.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, workers and beat share one file: WAL lets readers run beside a writer;
    # IMMEDIATE takes the write lock up front so concurrent writers queue instead of failing.
    # Connections are kept (conn_max_age above): opening one per request cost more than a
    # garage poll, and closing the last one checkpoints and removes the WAL each time.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "shops:list"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},  # ASVS 2.1.1
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security (production defaults follow DEBUG; each can be set on its own) ---------------
# The sandbox also runs on 127.0.0.1 in development, and browsers share cookies between ports
# of one host: distinct names keep the portal's session apart from the sandbox's.
SESSION_COOKIE_NAME = "portal_session"
# Django's database sessions, read with SQL compiled once (portal/accounts/sessions.py).
SESSION_ENGINE = "portal.accounts.sessions"
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
# A load balancer probes over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Sessions (ASVS 3.3): signed out after an idle period, and after an absolute lifetime that
# is shorter for admin users (is_staff); Django's login() gives a new session key on sign-in.
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_MAX_SECONDS = envint("SESSION_MAX_SECONDS", 12 * 3600)
SESSION_STAFF_MAX_SECONDS = envint("SESSION_STAFF_MAX_SECONDS", 4 * 3600)
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS
# Vehicle owners (portal.accounts.owners): a session that ends with the browser, unless they
# choose "keep me signed in on this device"; then this long. The garage owns their sign-in.
OWNER_SESSION_REMEMBER_SECONDS = envint("OWNER_SESSION_REMEMBER_SECONDS", 30 * 24 * 3600)
OWNER_SIGN_IN_URL = "garage:sign-in"

# The cache holds the sign-in, sign-up and reset throttles, so it must be shared by every
# process: Redis when CACHE_URL names one, else a table in the portal's database
# (created by `migrate`). Django's default (local memory) would count per process.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
        }
    }
# The booking pages' results, under their shop's calendar version (portal/booking/cache.py):
# in each process's memory, since a versioned result is never stale, wherever it is kept.
CACHES["booking"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "booking",
    "OPTIONS": {"MAX_ENTRIES": 5000},
}
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit knows only django-redis; Django's own RedisCache increments atomically.
    "django_ratelimit.W001",
    # The database cache increments with a read then a write: two concurrent attempts may
    # count as one. Acceptable for development; `portal.W003` asks production for Redis.
    "django_ratelimit.E003",
]

# Sign-in throttling (django-axes, ASVS 2.2.1): 5 failures per account or per IP address
# lock that account or address out for 15 minutes (a cool-off, so nobody can lock a victim
# out for good); each failure during the lock-out does not extend it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "portal.accounts.throttle.axes_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Sign-up, password reset and verification emails (django-ratelimit): per IP and per address.
RATELIMIT_VIEW = "portal.accounts.views.rate_limited"

# Content-Security-Policy (django-csp): no inline script, no eval; a nonce where a script
# must be inline. form-action also admits AutoSync's consent page (the connect button's
# redirect goes there): added per response by portal.accounts.middleware from the settings.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope",
        "microphone", "payment", "usb", "serial", "hid", "midi",
    )
}  # fmt: skip

# Error pages and reports: tokens, secrets and the OAuth callback's query never show, even
# on DEBUG's technical 500 page (portal.debug).
DEFAULT_EXCEPTION_REPORTER = "portal.debug.ExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.debug.ReporterFilter"

# --- Email: SMTP in production; in development, files under var/mail/ (see /accounts/dev/mail/) ---
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AutoSync portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST or not DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    # Production without EMAIL_HOST fails `check --deploy` (portal.E006) rather than trying a
    # mail server on localhost that is not there.
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = secret("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
# The development mailbox (/accounts/dev/mail/) exists only with DEBUG on and this set (see
# docs/security.md: it shows every email, password resets included).
PORTAL_DEV_MAILBOX = DEBUG and envbool("PORTAL_DEV_MAILBOX", False)

# Logs: readable lines in development, one JSON object per line in production (LOG_FORMAT
# overrides). Every line carries the request's id (X-Request-ID from the proxy when it is a
# valid UUID, else a new one; django-guid) and, in a worker, the task's id; the request id
# travels with each task queued during the request, so a booking can be followed from its web
# request into the task that confirms it. No tokens or personal data: access lines are
# redacted (portal.logfilters) and log messages name records by id.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ValueError(f"LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "UUID_LENGTH": 32,
    "IGNORE_URLS": ["healthz", "readyz"],
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id", "task_id"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "reserved_attrs": [*JSON_LOG_RESERVED_ATTRS, "context"],  # `context` is for humans
        },
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "filters": {
        # The OAuth callback's `code` and `state` (and any token in a query) stay out of logs.
        "redact_query": {"()": "portal.logfilters.RedactQuery"},
        "context": {"()": "portal.logfilters.RequestAndTask"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_query"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # authlib's debug lines include token bodies: keep it at WARNING whatever LOG_LEVEL says.
        "authlib": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # One line per sign-in is the access log's job; lock-outs are warnings.
        "axes": {"level": "WARNING"},
        # One line per request and task about its id would double the log.
        "django_guid": {"level": "WARNING"},
        # runserver's access log
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Errors go to Sentry when SENTRY_DSN is set, and nowhere when it is not. No personal data:
# no cookies, headers with credentials, user, request bodies or local variables are sent.
SENTRY_DSN = secret("SENTRY_DSN")
if SENTRY_DSN:
    from importlib import import_module

    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration as SentryCelery
    from sentry_sdk.integrations.django import DjangoIntegration as SentryDjango

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        integrations=[SentryDjango(), SentryCelery()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=lambda event, hint: import_module("portal.debug").scrub_sentry_event(
            event, hint
        ),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

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
# Every request to AutoSync gives up after (connect, read) seconds: a page or a worker
# waiting on AutoSync must never hang. The connect timeout sits just above a multiple of 3 s,
# TCP's retransmission window.
AUTOSYNC_TIMEOUT = (3.05, 15)
# Where the rate budget every process shares is kept (portal.autosync.conf.budget_url):
# unset, the Redis broker when there is one, else a SQLite file in VAR_DIR.
AUTOSYNC_BUDGET_URL = os.environ.get("AUTOSYNC_BUDGET_URL", "")
# The share of each rate window kept for interactive calls (a person waiting).
AUTOSYNC_INTERACTIVE_RESERVE = float(os.environ.get("AUTOSYNC_INTERACTIVE_RESERVE", "0.2"))

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
# A queue per kind of work, so none waits behind another (the Procfile's workers, one pool
# per queue; docs/deploy.md says when to add which): webhooks never wait behind a sync, nor a
# booking's confirmation or a sign-in link behind a slow mail server. Anything not listed
# stays on the default `celery` queue (the interactive worker takes it).
CELERY_TASK_ROUTES = {
    "portal.mirror.tasks.process_event": {"queue": "webhooks"},
    "portal.mirror.tasks.sweep_events": {"queue": "webhooks"},
    "portal.mirror.tasks.refresh_work_order": {"queue": "webhooks"},
    "portal.mirror.tasks.run_sync": {"queue": "sync"},
    "portal.mirror.tasks.schedule_syncs": {"queue": "sync"},
    "portal.mirror.tasks.resume_stalled_runs": {"queue": "sync"},
    "portal.booking.tasks.confirm_booking": {"queue": "interactive"},
    "portal.booking.tasks.sweep_pending_bookings": {"queue": "interactive"},
    "portal.booking.tasks.send_email": {"queue": "email"},
    "portal.booking.tasks.send_change_answer": {"queue": "email"},
    "portal.booking.tasks.send_reminders": {"queue": "email"},
    "portal.garage.tasks.send_sign_in": {"queue": "email"},
    "portal.garage.tasks.send_notification": {"queue": "email"},
    "portal.garage.tasks.sweep_notifications": {"queue": "email"},
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
    "booking-reminders": {
        "task": "portal.booking.tasks.send_reminders",
        "schedule": 600,
    },
    "booking-sweep-pending": {
        "task": "portal.booking.tasks.sweep_pending_bookings",
        "schedule": 300,
    },
    "garage-sweep-notifications": {
        "task": "portal.garage.tasks.sweep_notifications",
        "schedule": 300,
    },
}
