"""agentgov settings: one module, driven by environment variables only.

With no variable set, agentgov runs embedded: SQLite and a filesystem Celery broker
under `var/`, debug on. Production is this same file with variables set (see
`.env.example` and the README's "Deploy" section).
"""

import hashlib
import hmac
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from agentgov.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("AGENTGOV_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _key_setting(name: str) -> str:
    """A signing key from the environment; required in production. In debug mode a random
    key is generated once under var/, so sessions and signatures survive restarts."""
    key = env_str(name)
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG=0")
    key_file = VAR_DIR / name.lower()
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _key_setting("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "agentgov.apps.AgentgovConfig",
    "apps.accounts",
    "apps.audit",
    "apps.registry",
    "apps.governance",
    "apps.monitoring",
    "apps.alerts",
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
]

ROOT_URLCONF = "agentgov.urls"
WSGI_APPLICATION = "agentgov.wsgi.application"
ASGI_APPLICATION = "agentgov.asgi.application"

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
                "apps.accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'agentgov.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside a writer, and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Parameters bound by the server and statements prepared after their 5th run on a
    # connection: PostgreSQL then skips parsing and planning the hot paths' statements (a
    # governance decision spent a third of its database time planning). Turn it off behind
    # a pooler in transaction mode (pgbouncer < 1.21), which cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise; no CDN) --------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security: strict unless debugging locally ----------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.permissions.StaffReadOrManage"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "agentgov.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "agentgov API",
    "DESCRIPTION": (
        "Staff endpoints use the browser session (with CSRF); agent endpoints use "
        "`Authorization: Bearer <agent key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status` field with different choices: name each set once.
    "ENUM_NAME_OVERRIDES": {
        "AgentStatusEnum": "apps.registry.models.AgentStatus",
        "EventStatusEnum": "apps.audit.models.EventStatus",
        "HeartbeatStatusEnum": "apps.monitoring.services.HEARTBEAT_STATUSES",
        "ActionRequestStatusEnum": "apps.governance.models.RequestStatus",
        "OutcomeStatusEnum": "apps.governance.models.OutcomeStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------
# "localhost" means nothing to the filesystem transport; without it kombu warns on every connect.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery" / "processed").mkdir(exist_ok=True)
    (VAR_DIR / "celery" / "control").mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    # The filesystem transport has no broadcast exchange for remote control.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
else:
    # How long a message a worker took (and died with) stays invisible before Redis hands
    # it to another worker; it must exceed the longest task and the longest retry countdown.
    # Workers look for such messages every few seconds (kombu's default is every ~100 s).
    _visibility = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600, minimum=1)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility,
        "unacked_restore_interval": max(1, min(10, _visibility // 2)),
        "unacked_restore_throttle": 1,
    }
# The queue tasks are sent to unless routed elsewhere, and that workers consume by default.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Every periodic schedule is declared here once; django-celery-beat copies it into its
# tables at start, where an admin can edit it.
CELERY_BEAT_SCHEDULE = {
    "registry-record-expired-keys": {
        "task": "apps.registry.tasks.record_expired_keys",
        "schedule": 300.0,
    },
    "audit-write-checkpoints": {
        "task": "apps.audit.tasks.write_checkpoints",
        "schedule": 300.0,
    },
    "audit-verify-chains": {
        "task": "apps.audit.tasks.verify_chains",
        "schedule": crontab(hour=3, minute=30),
    },
    "audit-purge-expired-events": {
        "task": "apps.audit.tasks.purge_expired_events",
        "schedule": crontab(hour=4, minute=15),
    },
    "audit-expire-exports": {
        "task": "apps.audit.tasks.expire_exports",
        "schedule": crontab(hour=4, minute=45),
    },
    "alerts-evaluate-rules": {
        "task": "apps.alerts.tasks.evaluate_rules",
        "schedule": 60.0,
    },
    "alerts-send-due": {
        "task": "apps.alerts.tasks.send_due",
        "schedule": 60.0,
    },
    "monitoring-check-health": {
        "task": "apps.monitoring.tasks.check_health",
        "schedule": 30.0,
    },
    "monitoring-check-drift": {
        "task": "apps.monitoring.tasks.check_drift",
        "schedule": crontab(minute=7),
    },
    "governance-expire-requests": {
        "task": "apps.governance.tasks.expire_requests",
        "schedule": 30.0,
    },
    "governance-warn-expiring-requests": {
        "task": "apps.governance.tasks.warn_expiring_requests",
        "schedule": 60.0,
    },
}

# --- Mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "agentgov@localhost")

# --- agentgov -------------------------------------------------------------------------
# How often an agent key's last-used time is written: a busy agent must not turn every
# request into an UPDATE.
AGENT_KEY_LAST_USED_RESOLUTION_SECONDS = env_int("AGENT_KEY_LAST_USED_RESOLUTION_SECONDS", 60, minimum=0)
AGENT_KEY_DEFAULT_TTL_DAYS = env_int("AGENT_KEY_DEFAULT_TTL_DAYS", 90, minimum=0)


# --- Audit trail ----------------------------------------------------------------------
# Signs chain checkpoints and export manifests; keep it apart from SECRET_KEY.
AUDIT_SIGNING_KEY = _key_setting("AUDIT_SIGNING_KEY")
# Six months is the EU AI Act's minimum for logs of high-risk systems; shorter needs intent.
AUDIT_RETENTION_MINIMUM_DAYS = 183
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 400, minimum=1)
if AUDIT_RETENTION_DAYS < AUDIT_RETENTION_MINIMUM_DAYS and not env_bool("AUDIT_RETENTION_ALLOW_SHORT", False):
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS} is under {AUDIT_RETENTION_MINIMUM_DAYS} days (six months, "
        "the EU AI Act minimum for high-risk system logs); set AUDIT_RETENTION_ALLOW_SHORT=1 to override"
    )
# Days an export's bundle file stays on the server; its record and manifest hashes stay.
AUDIT_EXPORT_KEEP_DAYS = env_int("AUDIT_EXPORT_KEEP_DAYS", 30, minimum=1)
AUDIT_REDACT_KEYS = env_list(
    "AUDIT_REDACT_KEYS",
    [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "authorization",
        "cookie",
        "private_key",
        "access_key",
        "session_id",
        "credentials",
    ],
)
AUDIT_REDACT_PATTERNS = env_list(
    "AUDIT_REDACT_PATTERNS",
    [
        "private_key",
        "bearer_token",
        "jwt",
        "aws_access_key",
        "google_api_key",
        "github_token",
        "slack_token",
        "agentgov_key",
        "card_number",
    ],
)
# How ingested batches are written: auto = on PostgreSQL, COPY for batches of 8 or more and a
# prepared INSERT below that; bulk_create elsewhere.
AUDIT_INGEST_INSERT = env_str("AUDIT_INGEST_INSERT", "auto")
AUDIT_MAX_BATCH_EVENTS = 1000
AUDIT_MAX_BODY_BYTES = 5 * 1024 * 1024
AUDIT_MAX_FUTURE_SKEW_SECONDS = 300

# --- Alerts ---------------------------------------------------------------------------
# A firing, unacknowledged alert is sent again this often (a channel may set its own; 0 = never).
ALERTS_REPEAT_MINUTES = env_int("ALERTS_REPEAT_MINUTES", 60, minimum=0)
# Attempts per notification, the first retry's delay (doubling after each failure), and
# the run of failed notifications after which a channel is disabled.
ALERTS_DELIVERY_ATTEMPTS = env_int("ALERTS_DELIVERY_ATTEMPTS", 5, minimum=1)
ALERTS_RETRY_BACKOFF_SECONDS = env_int("ALERTS_RETRY_BACKOFF_SECONDS", 30, minimum=1)
ALERTS_CHANNEL_MAX_FAILURES = env_int("ALERTS_CHANNEL_MAX_FAILURES", 10, minimum=1)
# Network timeout of one webhook call; a delivery's hard time limit is a little above it,
# and a delivery claimed longer ago than that limit was lost with its worker.
ALERTS_HTTP_TIMEOUT_SECONDS = env_int("ALERTS_HTTP_TIMEOUT_SECONDS", 10, minimum=1)
ALERTS_DELIVERY_TIME_LIMIT = env_int("ALERTS_DELIVERY_TIME_LIMIT", 60, minimum=5)
if ALERTS_HTTP_TIMEOUT_SECONDS > ALERTS_DELIVERY_TIME_LIMIT - 5:
    raise ImproperlyConfigured(
        "ALERTS_HTTP_TIMEOUT_SECONDS must be at least 5 s under ALERTS_DELIVERY_TIME_LIMIT"
    )
# Links in alert notifications and reviewer emails point here (e.g. https://agentgov.example.com);
# by default where `make run` serves, so a demo on another port links to itself.
AGENTGOV_BASE_URL = env_str("AGENTGOV_BASE_URL", "http://" + env_str("AGENTGOV_BIND", "127.0.0.1:8000"))
# --- Monitoring -------------------------------------------------------------------------
# Heartbeats: (expected interval, grace) in seconds per risk tier, the defaults of a new
# agent's monitor; admins change them per agent. Late after the interval, down after both.
MONITORING_HEARTBEAT_DEFAULTS = {
    "low": (900, 900),
    "medium": (600, 600),
    "high": (300, 300),
    "critical": (60, 120),
}
# Degraded: judged on the agent's events of the last few minutes, once there are enough.
MONITORING_HEALTH_WINDOW_MINUTES = env_int("MONITORING_HEALTH_WINDOW_MINUTES", 15, minimum=1)
MONITORING_HEALTH_MIN_EVENTS = env_int("MONITORING_HEALTH_MIN_EVENTS", 20, minimum=1)
MONITORING_ERROR_RATE_THRESHOLD = 0.25
MONITORING_P95_LATENCY_MS_THRESHOLD = 20_000.0
# A duplicated beat tick inside this many seconds of the last run does nothing.
MONITORING_HEALTH_MIN_SPACING_SECONDS = env_int("MONITORING_HEALTH_MIN_SPACING_SECONDS", 10, minimum=0)
MONITORING_DRIFT_MIN_SPACING_SECONDS = env_int("MONITORING_DRIFT_MIN_SPACING_SECONDS", 300, minimum=0)
# Drift: the recent window is compared with the baseline before it (or before the
# current version's deploy, for agents pinned to their deploy).
MONITORING_DRIFT_CURRENT_HOURS = env_int("MONITORING_DRIFT_CURRENT_HOURS", 24, minimum=1)
MONITORING_DRIFT_BASELINE_DAYS = env_int("MONITORING_DRIFT_BASELINE_DAYS", 7, minimum=1)
# Fewer events than this in either window: "not enough data", never a verdict.
MONITORING_DRIFT_MIN_EVENTS = env_int("MONITORING_DRIFT_MIN_EVENTS", 30, minimum=1)
# A metric drifts when its score crosses its threshold AND, where the test has a p-value,
# the difference is significant at this level for the agent (split over its metrics). Low on
# purpose: an hourly check over a fleet tests thousands of times a day, and a real change
# of behaviour gives p-values far smaller than this.
MONITORING_DRIFT_ALPHA = 0.001
# Fleet-wide thresholds per metric (see apps/monitoring/drift/metrics.py for each score);
# an agent's monitor may override any of them.
MONITORING_DRIFT_THRESHOLDS = {
    "tool_mix": 0.25,  # Jensen-Shannon distance (base 2, 0..1)
    "error_rate": 0.05,  # increase in the share of events that failed
    "denial_rate": 0.05,  # increase in the share of events refused
    "latency": 0.5,  # Wasserstein distance relative to the baseline mean
    "cost": 0.5,
    "tokens": 0.5,
    "volume": 1.0,  # |log2(current rate / baseline rate)|: 1 = doubled or halved
    "new_tools": 0.0,  # distinct tools never used before
}

# --- Governance -----------------------------------------------------------------------
# HMAC-SHA256 key signing decision callbacks (X-Agentgov-Signature: sha256=<hex>). Unset, it is
# derived from SECRET_KEY; set it to share it with agents without sharing SECRET_KEY.
GOVERNANCE_CALLBACK_SIGNING_KEY = (
    env_str("GOVERNANCE_CALLBACK_SIGNING_KEY")
    or hmac.new(SECRET_KEY.encode(), b"agentgov-governance-callbacks", hashlib.sha256).hexdigest()
)
GOVERNANCE_CALLBACK_MAX_ATTEMPTS = env_int("GOVERNANCE_CALLBACK_MAX_ATTEMPTS", 6, minimum=1)
GOVERNANCE_CALLBACK_BACKOFF_SECONDS = env_int("GOVERNANCE_CALLBACK_BACKOFF_SECONDS", 10, minimum=1)
GOVERNANCE_CALLBACK_TIMEOUT_SECONDS = env_int("GOVERNANCE_CALLBACK_TIMEOUT_SECONDS", 5, minimum=1)
GOVERNANCE_WARN_BEFORE_EXPIRY_MINUTES = env_int("GOVERNANCE_WARN_BEFORE_EXPIRY_MINUTES", 15, minimum=1)
# GET /api/v1/actions/{id}/?wait=N holds the request at most this long (seconds).
GOVERNANCE_LONG_POLL_MAX_SECONDS = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
