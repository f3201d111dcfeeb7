"""HealthLink settings: every value comes from the environment, read here and only here."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from healthlink import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("HEALTHLINK_TESTING", default=False)
if DEBUG:
    # Development keys that `make run` generated once. Never read with DEBUG off: a
    # deployment must bring its own keys, not silently inherit a developer's.
    environ.Env.read_env(VAR_DIR / "dev-keys.env", overwrite=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG and not TESTING:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-only-secret-key-do-not-use-in-production"  # noqa: S105

# --- PHI encryption -------------------------------------------------------------------
# Keys are base64 32-byte AES-256 keys, independent of SECRET_KEY. Old keys stay readable.
# Checked here, before any service is started, so a bad deployment fails at once.


def _phi_key(name: str, value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 32:
        raise ImproperlyConfigured(f"{name} must be the base64 encoding of 32 random bytes.")
    return value.strip()


PHI_ENCRYPTION_KEY = env.str("PHI_ENCRYPTION_KEY", default="")
PHI_ENCRYPTION_OLD_KEYS = env.list("PHI_ENCRYPTION_OLD_KEYS", default=[])
PHI_BLIND_INDEX_KEY = env.str("PHI_BLIND_INDEX_KEY", default="")
_missing = [
    name
    for name, value in (
        ("PHI_ENCRYPTION_KEY", PHI_ENCRYPTION_KEY),
        ("PHI_BLIND_INDEX_KEY", PHI_BLIND_INDEX_KEY),
    )
    if not value
]
if _missing and not DEBUG and not TESTING:
    raise ImproperlyConfigured(f"{' and '.join(_missing)} must be set when DEBUG is off.")
if PHI_ENCRYPTION_KEY:
    PHI_ENCRYPTION_KEY = _phi_key("PHI_ENCRYPTION_KEY", PHI_ENCRYPTION_KEY)
PHI_ENCRYPTION_OLD_KEYS = [
    _phi_key("PHI_ENCRYPTION_OLD_KEYS", key) for key in PHI_ENCRYPTION_OLD_KEYS if key.strip()
]
if PHI_BLIND_INDEX_KEY:
    PHI_BLIND_INDEX_KEY = _phi_key("PHI_BLIND_INDEX_KEY", PHI_BLIND_INDEX_KEY)

# --- PHI audit trail (apps.audit) -----------------------------------------------------
# Every phi_access_logs row carries an HMAC under this key over its content and the previous
# row's HMAC; without the key nobody, a DBA included, can edit, insert or remove a row
# unnoticed by `manage.py audit_verify`. Base64 of 32 bytes, never stored in the database.
AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="")
if AUDIT_CHAIN_KEY:
    AUDIT_CHAIN_KEY = _phi_key("AUDIT_CHAIN_KEY", AUDIT_CHAIN_KEY)
elif not DEBUG and not TESTING:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be set when DEBUG is off.")
# Five years (one leap day included). The database trigger refuses to delete younger rows
# whatever this says, so a longer period is possible and a shorter one is refused here.
AUDIT_LOG_RETENTION_MIN_DAYS = 5 * 365 + 1
AUDIT_LOG_RETENTION_DAYS = env.int(
    "AUDIT_LOG_RETENTION_DAYS", default=AUDIT_LOG_RETENTION_MIN_DAYS
)
if AUDIT_LOG_RETENTION_DAYS < AUDIT_LOG_RETENTION_MIN_DAYS:
    raise ImproperlyConfigured(
        f"AUDIT_LOG_RETENTION_DAYS must be at least {AUDIT_LOG_RETENTION_MIN_DAYS} (five years)."
    )
# Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed when they are
# the peer. Empty: the peer itself (REMOTE_ADDR) is the client. Used by the PHI access trail
# and the login lockout (apps.audit.network.client_ip).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES holds {_proxy!r}, which is not an address or CIDR range."
        ) from _error
# --- end PHI audit trail --------------------------------------------------------------

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "simple_history",
    "storages",
    "django_elasticsearch_dsl",
    "apps.core",
    "apps.accounts",
    "apps.facilities",
    "apps.appointments",
    "apps.records",
    "apps.prescriptions",
    "apps.payments",
    "apps.video",
    "apps.notifications",
    "apps.audit",
    "apps.search",
    "apps.exports",  # patient data export
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Lifecycle: a session that logged in before users.tokens_revoked_at is logged out.
    "apps.accounts.middleware.SessionRevocationMiddleware",
    "apps.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.accounts.middleware.UserTimezoneMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "apps.core.middleware.ServiceUnavailableMiddleware",
    # htmx requests (export progress poll, notifications) that meet login_required get
    # 401 + HX-Redirect to the login page instead of the page itself.
    "apps.core.htmx.HtmxLoginRedirectMiddleware",
]

ROOT_URLCONF = "healthlink.urls"
WSGI_APPLICATION = "healthlink.wsgi.application"
ASGI_APPLICATION = "healthlink.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Services -------------------------------------------------------------------------
# Without DATABASE_URL / REDIS_URL the project runs its own PostgreSQL and Redis under var/.
DATABASE_URL = env.str("DATABASE_URL", default="") or embedded.database_url(VAR_DIR)
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
    "TEST_DATABASE_NAME", default="test_healthlink"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url(VAR_DIR)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="healthlink"),
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Tasks keep no result unless they say so (the health check does): each .delay() of a task
# with a result subscribes to the result backend first, and with Redis down that alone
# retried for ~20 s, inside the request that queued it. Publishing gives up quickly too:
# callers then fall back (notifications are written and delivered later).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"timeout": 2.0}}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Runs that pile up while workers are down expire; the next run catches up on its own.
    "appointments-send-due-reminders": {
        "task": "appointments.send_due_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The booking outbox: new bookings' notifications, a few seconds after they commit.
    "appointments-send-booking-notices": {
        "task": "appointments.send_booking_notices",
        "schedule": float(env.int("BOOKING_NOTICES_EVERY_SECONDS", default=5)),
        "options": {"expires": 30},
    },
    "notifications-requeue-stuck": {
        "task": "notifications.requeue_stuck",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

CELERY_BEAT_SCHEDULE["payments-requeue-unsent-refunds"] = {  # wallet and refunds
    "task": "payments.refunds_requeue_unsent",
    "schedule": 300.0,
    "options": {"expires": 290},
}

# --- Lifecycle and retention ----------------------------------------------------------
# Soft-deleted accounts are pseudonymised this many days after deletion; clinical, payment
# and audit rows are deleted only after their legal retention periods (see README).
ACCOUNT_ERASURE_AFTER_DAYS = env.int("ACCOUNT_ERASURE_AFTER_DAYS", default=90)
RETENTION_MEDICAL_RECORDS_YEARS = env.int("RETENTION_MEDICAL_RECORDS_YEARS", default=7)
RETENTION_PAYMENTS_YEARS = env.int("RETENTION_PAYMENTS_YEARS", default=10)
RETENTION_AUDIT_LOG_YEARS = env.int("RETENTION_AUDIT_LOG_YEARS", default=5)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=500)
CELERY_BEAT_SCHEDULE.update({
    # Daily; a run that missed its day expires, the next one catches up (both are batched).
    "accounts-erase-deleted-users": {
        "task": "accounts.erase_deleted_users",
        "schedule": 24 * 3600.0,
        "options": {"expires": 23 * 3600},
    },
    "core-purge-expired-data": {
        "task": "core.purge_expired_data",
        "schedule": 24 * 3600.0,
        "options": {"expires": 23 * 3600},
    },
})

# --- Notifications --------------------------------------------------------------------
# SMS and push providers by dotted path; the defaults only log IDs (never text or address).
NOTIFICATION_SMS_BACKEND = env.str(
    "NOTIFICATION_SMS_BACKEND", default="apps.notifications.backends.LoggingSmsBackend"
)
NOTIFICATION_PUSH_BACKEND = env.str(
    "NOTIFICATION_PUSH_BACKEND", default="apps.notifications.backends.LoggingPushBackend"
)
NOTIFICATION_MAX_DELIVERY_ATTEMPTS = env.int("NOTIFICATION_MAX_DELIVERY_ATTEMPTS", default=5)
NOTIFICATION_RETRY_BACKOFF_SECONDS = env.int("NOTIFICATION_RETRY_BACKOFF_SECONDS", default=30)
NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = env.int(
    "NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS", default=3600
)
NOTIFICATION_STUCK_AFTER_MINUTES = env.int("NOTIFICATION_STUCK_AFTER_MINUTES", default=10)
NOTIFICATION_REQUEUE_MAX_AGE_HOURS = env.int("NOTIFICATION_REQUEUE_MAX_AGE_HOURS", default=48)

# --- Data export ---------------------------------------------
# A built archive can be downloaded for this many days; a beat job then deletes it.
DATA_EXPORT_EXPIRY_DAYS = env.int("DATA_EXPORT_EXPIRY_DAYS", default=7)
# An export still waiting or running after this long lost its worker: it is marked failed,
# so the patient may ask again.
DATA_EXPORT_STALE_HOURS = env.int("DATA_EXPORT_STALE_HOURS", default=6)
CELERY_BEAT_SCHEDULE["exports-expire-archives"] = {
    "task": "exports.expire_archives",
    "schedule": 3600.0,
    "options": {"expires": 3500},
}

# --- Scheduling ---
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=365)
# How long the first patient in line has a freed time to themselves before the next hears.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=15)

# --- Video consultations (Janus Gateway) -----------------------------------------------
# The portal's own calls to Janus's HTTP API (loopback by default) and the address the
# browser's janus.js uses (the same unless a reverse proxy publishes Janus elsewhere).
JANUS_URL = env.str("JANUS_URL", default="http://127.0.0.1:8088/janus")
JANUS_PUBLIC_URL = env.str("JANUS_PUBLIC_URL", default="") or JANUS_URL
# Janus's videoroom admin_key (scripts/janus.sh sets it from the same variable): with it,
# only the portal can create rooms. Set it in production (system check video.W001).
JANUS_ADMIN_KEY = env.str("JANUS_ADMIN_KEY", default="")
JANUS_TIMEOUT_SECONDS = env.float("JANUS_TIMEOUT_SECONDS", default=2.0)
# Who may join, when: from VIDEO_JOIN_EARLY_MINUTES before the start to the end of the slot
# plus VIDEO_JOIN_LATE_MINUTES.
VIDEO_JOIN_EARLY_MINUTES = env.int("VIDEO_JOIN_EARLY_MINUTES", default=10)
VIDEO_JOIN_LATE_MINUTES = env.int("VIDEO_JOIN_LATE_MINUTES", default=0)
VIDEO_JOIN_TOKEN_SECONDS = env.int("VIDEO_JOIN_TOKEN_SECONDS", default=120)
# Beat creates rooms this long before the start (and a first join creates one on demand).
VIDEO_ROOM_LEAD_MINUTES = env.int("VIDEO_ROOM_LEAD_MINUTES", default=15)
VIDEO_STATS_INTERVAL_SECONDS = env.int("VIDEO_STATS_INTERVAL_SECONDS", default=5)
VIDEO_EVENTS_PER_MINUTE = env.int("VIDEO_EVENTS_PER_MINUTE", default=30)
# Joins and leaves have their own, generous limit (reloads and flaky networks rejoin often),
# and it fails open when Redis is down so presence is never lost.
VIDEO_PRESENCE_EVENTS_PER_MINUTE = env.int("VIDEO_PRESENCE_EVENTS_PER_MINUTE", default=120)
# A call running over its slot goes on this long after the join window closes before the
# close job destroys the room (no one can join in that time).
VIDEO_CALL_GRACE_MINUTES = env.int("VIDEO_CALL_GRACE_MINUTES", default=15)
# Off by default. When on, Janus records each room into VIDEO_RECORDING_DIR/<room id>/ (on
# the Janus host) and video_calls.recording_url names that folder.
VIDEO_RECORDING_ENABLED = env.bool("VIDEO_RECORDING_ENABLED", default=False)
VIDEO_RECORDING_DIR = env.str("VIDEO_RECORDING_DIR", default="/var/lib/janus/recordings")
CELERY_BEAT_SCHEDULE.update({
    "video-prepare-rooms": {
        "task": "video.prepare_rooms", "schedule": 60.0, "options": {"expires": 55},
    },
    "video-close-rooms": {
        "task": "video.close_rooms", "schedule": 60.0, "options": {"expires": 55},
    },
})

# --- Drug checks (openFDA) --------------------------------------------------------------
# Production queries openFDA (the client appends /drug/label.json). Development (DEBUG) and
# the tests default to an empty base URL: the online check is DISABLED, the page says so,
# and nothing leaves the machine; set OPENFDA_BASE_URL to turn it on there.
OPENFDA_BASE_URL = env.str(
    "OPENFDA_BASE_URL", default="" if DEBUG or TESTING else "https://api.fda.gov"
)
OPENFDA_API_KEY = env.str("OPENFDA_API_KEY", default="")
OPENFDA_CONNECT_TIMEOUT_SECONDS = env.float("OPENFDA_CONNECT_TIMEOUT_SECONDS", default=3.0)
OPENFDA_READ_TIMEOUT_SECONDS = env.float("OPENFDA_READ_TIMEOUT_SECONDS", default=10.0)
OPENFDA_CACHE_SECONDS = env.int("OPENFDA_CACHE_SECONDS", default=7 * 24 * 3600)
OPENFDA_LABELS_PER_DRUG = env.int("OPENFDA_LABELS_PER_DRUG", default=3)
OPENFDA_TASK_MAX_RETRIES = env.int("OPENFDA_TASK_MAX_RETRIES", default=4)
OPENFDA_RETRY_BACKOFF_SECONDS = env.int("OPENFDA_RETRY_BACKOFF_SECONDS", default=30)

# --- Payments: JazzCash Page Redirection v1.1 ------------------------------------
# Credentials come from the environment only and are never logged. The URLs default to
# JazzCash's sandbox. JAZZCASH_SIMULATOR turns on the local gateway (apps/payments/simulator.py)
# for offline development; it is refused with DEBUG off (apps/payments/checks.py and here).
JAZZCASH_MERCHANT_ID = env.str("JAZZCASH_MERCHANT_ID", default="")
JAZZCASH_PASSWORD = env.str("JAZZCASH_PASSWORD", default="")
JAZZCASH_INTEGRITY_SALT = env.str("JAZZCASH_INTEGRITY_SALT", default="")
JAZZCASH_MERCHANT_MPIN = env.str("JAZZCASH_MERCHANT_MPIN", default="")
JAZZCASH_POST_URL = env.str(
    "JAZZCASH_POST_URL",
    default="https://sandbox.jazzcash.com.pk/CustomerPortal/transactionmanagement/merchantform/",
)
JAZZCASH_STATUS_INQUIRY_URL = env.str(
    "JAZZCASH_STATUS_INQUIRY_URL",
    default="https://sandbox.jazzcash.com.pk/ApplicationAPI/API/PaymentInquiry/Inquire",
)
JAZZCASH_REFUND_URL = env.str(
    "JAZZCASH_REFUND_URL",
    default="https://sandbox.jazzcash.com.pk/ApplicationAPI/API/authorize/Refund",
)
JAZZCASH_CONNECT_TIMEOUT_SECONDS = env.float("JAZZCASH_CONNECT_TIMEOUT_SECONDS", default=5.0)
JAZZCASH_READ_TIMEOUT_SECONDS = env.float("JAZZCASH_READ_TIMEOUT_SECONDS", default=20.0)
JAZZCASH_TXN_EXPIRY_HOURS = env.int("JAZZCASH_TXN_EXPIRY_HOURS", default=1)
# A payment left PENDING at the gateway is asked about this many minutes after it was sent.
JAZZCASH_INQUIRY_AFTER_MINUTES = env.int("JAZZCASH_INQUIRY_AFTER_MINUTES", default=5)
JAZZCASH_SIMULATOR = env.bool("JAZZCASH_SIMULATOR", default=False)
if JAZZCASH_SIMULATOR and not DEBUG and not TESTING:
    raise ImproperlyConfigured("JAZZCASH_SIMULATOR must not be on when DEBUG is off.")
if JAZZCASH_SIMULATOR and not (JAZZCASH_MERCHANT_ID and JAZZCASH_PASSWORD
                               and JAZZCASH_INTEGRITY_SALT):
    # The simulator only talks to this machine: development-only credentials suffice.
    JAZZCASH_MERCHANT_ID = JAZZCASH_MERCHANT_ID or "MC-SIMULATOR"
    JAZZCASH_PASSWORD = JAZZCASH_PASSWORD or "simulator-password"
    JAZZCASH_INTEGRITY_SALT = JAZZCASH_INTEGRITY_SALT or "simulator-salt"
CELERY_BEAT_SCHEDULE["payments-settle-pending-jazzcash"] = {
    "task": "payments.settle_pending_jazzcash",
    "schedule": 300.0,
    "options": {"expires": 290},
}

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
# The schema fixes bcrypt at cost 12 (see apps.accounts.hashers).
PASSWORD_HASHERS = ["apps.accounts.hashers.BCrypt12PasswordHasher"]
if TESTING and env.bool("FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EMAIL_VERIFICATION_MAX_AGE = env.int("EMAIL_VERIFICATION_MAX_AGE", default=3 * 24 * 3600)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.RevocableJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {"TITLE": "HealthLink API", "VERSION": "1.0.0"}
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "TOKEN_OBTAIN_SERIALIZER": "apps.accounts.api.SignInTimeTokenObtainPairSerializer",
}

# --- Files ----------------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# --- Records: attachment storage ----------------------------------------------
# Medical record attachments have their own storage: a private directory outside MEDIA_ROOT
# that no URL serves, or the S3/MinIO bucket with a private ACL and short signed URLs.
# Files are only ever read back through the records app's authorized download view.
RECORD_ATTACHMENT_MAX_BYTES = env.int("RECORD_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
RECORD_ATTACHMENT_ROOT = Path(
    env.str("RECORD_ATTACHMENT_ROOT", default=str(VAR_DIR / "private" / "records"))
)
RECORD_ATTACHMENT_URL_EXPIRE = env.int("RECORD_ATTACHMENT_URL_EXPIRE", default=60)
RECORD_BREAK_GLASS_MINUTES = env.int("RECORD_BREAK_GLASS_MINUTES", default=60)
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["records"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Empty for a bucket with ACLs disabled (owner-enforced): it is private anyway.
            "default_acl": env.str("RECORD_ATTACHMENT_S3_ACL", default="private") or None,
            "querystring_auth": True,
            "querystring_expire": RECORD_ATTACHMENT_URL_EXPIRE,
            "signature_version": "s3v4",
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }
else:
    STORAGES["records"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": RECORD_ATTACHMENT_ROOT, "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
# --- end records ---
# --- Payments: receipt images and dispute evidence ---------------------
# Private like record attachments: a directory no URL serves, or the bucket with a private
# ACL; read back only through the payments app's authorized views.
PAYMENT_FILE_MAX_BYTES = env.int("PAYMENT_FILE_MAX_BYTES", default=10 * 1024 * 1024)
PAYMENT_DISPUTE_MAX_EVIDENCE = env.int("PAYMENT_DISPUTE_MAX_EVIDENCE", default=5)
PAYMENT_FILES_ROOT = Path(
    env.str("PAYMENT_FILES_ROOT", default=str(VAR_DIR / "private" / "payments"))
)
if AWS_STORAGE_BUCKET_NAME:
    # The same private bucket settings; every key starts with "payments/".
    STORAGES["payments"] = STORAGES["records"]
else:
    STORAGES["payments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PAYMENT_FILES_ROOT, "base_url": None,
                    "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }
# --- end payments files ---
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# --- Search ---------------------------------------------------------------------------
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")
ELASTICSEARCH_DSL = {"default": {"hosts": ELASTICSEARCH_URL or "http://127.0.0.1:9200"}}
ELASTICSEARCH_DSL_AUTOSYNC = bool(ELASTICSEARCH_URL)
ELASTICSEARCH_DSL_AUTO_REFRESH = bool(ELASTICSEARCH_URL)

# --- Email ----------------------------------------------------------------------------
# In development emails go to files under var/mail, not the console: they carry names and
# one-time links, and the console is the log stream.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
# A delivery holds its notification row locked while SMTP talks: never wait forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="HealthLink <no-reply@healthlink.pk>")

# --- Locale and time ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ur", _("Urdu"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True

DEFAULT_EXCEPTION_REPORTER_FILTER = "healthlink.error_reporting.PhiSafeExceptionReporterFilter"

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Links in emails carry one-time tokens in their path; access logs must not keep them.
    "filters": {"redact_tokens": {"()": "healthlink.log_redaction.RedactResetTokens"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_tokens"],
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request bodies and SQL parameters may carry PHI: keep them out of the logs.
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR", "filters": ["redact_tokens"]},
        "django.security": {"filters": ["redact_tokens"]},
        "apps.core.middleware": {"filters": ["redact_tokens"]},
        # The PDF font subsetter reports every table it touches at INFO.
        "fontTools": {"level": "WARNING"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False,
                          "filters": ["redact_tokens"]},
    },
}

# --- Demo -----------------------------------------------------------------------------
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="healthlink-demo")
# The schema names indexes longer than 30 characters (E034); PostgreSQL allows 63.
SILENCED_SYSTEM_CHECKS = ["models.E034"]

# --- Booking throughput (perf) --------------------------------------------------------
# psycopg prepares a statement only on a server-binding cursor when this is set. Django's
# own cursors bind on the client and never prepare, so this turns preparing on just for the
# booking path's fixed statements (apps/appointments/prepared.py). Empty turns it off, e.g.
# behind a transaction-pooling pgbouncer, where prepared statements cannot be shared.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = env.int(
    "DB_PREPARE_THRESHOLD", default=5
) if env.str("DB_PREPARE_THRESHOLD", default="5") else None
