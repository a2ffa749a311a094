"""Settings of the AutoSync sandbox, read from the environment (README, "Sandbox settings")."""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def envfloat_list(name: str, default: str) -> list[float]:
    return [float(part) for part in os.environ.get(name, default).split(",") if part.strip()]


def dev_secret_key() -> str:
    """A random key kept under var/, so sessions survive restarts on a development machine."""
    path = VAR_DIR / "sandbox-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("SANDBOX_DEBUG", True)
SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY") or (dev_secret_key() if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SANDBOX_SECRET_KEY must be set when SANDBOX_DEBUG is off")
ALLOWED_HOSTS = os.environ.get("SANDBOX_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sandbox.core",
    "sandbox.api",
    "sandbox.oauth",
    "sandbox.webhooks",
    "sandbox.simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sandbox.api.middleware.ApiMiddleware",
    "sandbox.api.faults.FaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Sign-in, consent and the back office run no inline script or style (the stylesheet is
# static/sandbox/base.css; Django's admin has none either). No form-action: the consent form's
# answer redirects to the client's redirect URI, which browsers would check against it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
    }
}
# Features none of the sandbox's pages use, refused to them and to anything they could embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
    )
}

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "/accounts/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "sandbox" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("SANDBOX_DATABASE_URL", f"sqlite:///{VAR_DIR / 'sandbox.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several server processes, the webhook sender and the simulator share one file:
    # WAL lets readers run beside a writer, IMMEDIATE takes the write lock up front so that
    # concurrent transactions queue on the busy timeout instead of failing to upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
USE_I18N = False

STATIC_URL = "/static/"
# The sandbox serves the admin's static files straight from the apps (WHITENOISE_USE_FINDERS);
# collectstatic is only needed with SANDBOX_STATIC_ROOT set.
STATIC_ROOT = os.environ.get("SANDBOX_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SANDBOX_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}

# --- AutoSync behaviour (README, "Sandbox settings") -------------------------------------
# Requests per window per credential (API key or OAuth grant), fixed windows aligned to it.
SANDBOX_RATE_LIMIT = envint("SANDBOX_RATE_LIMIT", 100)
SANDBOX_RATE_WINDOW = envint("SANDBOX_RATE_WINDOW", 60)
# Token endpoint requests per window per client application (its client_id).
SANDBOX_TOKEN_RATE_LIMIT = envint("SANDBOX_TOKEN_RATE_LIMIT", 300)
# Lifetime of OAuth access tokens, in seconds.
SANDBOX_TOKEN_TTL = envint("SANDBOX_TOKEN_TTL", 3600)
SANDBOX_CODE_TTL = envint("SANDBOX_CODE_TTL", 600)
# Seconds after a refresh in which the spent refresh token gets the same new pair again (a lost
# refresh response must not cost the grant); 0 turns it off. Later, a spent token is a replay.
SANDBOX_REFRESH_GRACE = envint("SANDBOX_REFRESH_GRACE", 30)
# Seconds to wait before each retry of a failed webhook delivery.
SANDBOX_WEBHOOK_RETRY_SCHEDULE = envfloat_list(
    "SANDBOX_WEBHOOK_RETRY_SCHEDULE", "10,60,300,1800,7200"
)
SANDBOX_WEBHOOK_TIMEOUT = 10
# Days webhook events and attempts are kept; the sender prunes every SANDBOX_PRUNE_INTERVAL s.
SANDBOX_WEBHOOK_RETENTION_DAYS = envint("SANDBOX_WEBHOOK_RETENTION_DAYS", 7)
SANDBOX_PRUNE_INTERVAL = envint("SANDBOX_PRUNE_INTERVAL", 3600)
# Webhook URLs on loopback, private, link-local, reserved or multicast addresses are refused
# (when registered and when sent) unless this is on: for receivers on a development machine.
SANDBOX_ALLOW_PRIVATE_WEBHOOKS = envbool("SANDBOX_ALLOW_PRIVATE_WEBHOOKS", False)
# A CA bundle (PEM file) to check receivers' TLS certificates against; empty: the system's.
SANDBOX_WEBHOOK_CA_BUNDLE = os.environ.get("SANDBOX_WEBHOOK_CA_BUNDLE") or None
# Fault injection, e.g. "error=0.1,latency=0.05:2.5,reset=0.02,ratelimit=0.05".
SANDBOX_FAULTS = os.environ.get("SANDBOX_FAULTS", "")
SANDBOX_FAULTS_SEED = os.environ.get("SANDBOX_FAULTS_SEED", "")
# The public address of the sandbox, used in OAuth metadata.
SANDBOX_BASE_URL = os.environ.get("SANDBOX_BASE_URL", "http://127.0.0.1:8001").rstrip("/")

if not DEBUG:
    SESSION_COOKIE_SECURE = envbool("SANDBOX_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
