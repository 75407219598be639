"""Settings shared by every profile. Everything that differs between machines comes from the environment.

Embedded defaults (no variables set) run the whole product on one laptop: SQLite, an in-memory channel
layer, eager Celery, local files and the hospital simulator. DATABASE_URL, REDIS_URL and STORAGE_* switch
to PostgreSQL, Redis and S3-compatible storage without code changes.
"""

import importlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]  # backend/
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("DSM_VAR_DIR", REPO_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # runtime files of the embedded demo (database, media)


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
# Reverse proxies in front of daphne that append X-Forwarded-For (0: the header is ignored; it is client-forgeable).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",  # only for its translations: token errors in Chinese
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    # Bounded contexts (one app each, see ARCHITECTURE.md).
    "core",
    "audit",
    "org",
    "accounts",
    "catalog",
    "cases",
    "capacity",
    "booking_policy",
    "booking",
    "risk",
    "clinical",
    "anaesthesia",
    "consent",
    "preop",
    "timeline",
    "scheduling",
    "doctor_assessment",
    "stay",
    "messaging",
    "todos",
    "recovery",
    "forms",
    "followup",
    "education",
    "consultation",
    "integrations",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'demo.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite serialises writers; a busy timeout keeps the demo's worker threads from failing on locks.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # WAL lets daphne, the Celery worker and the seed read while one writes; NORMAL sync is safe under WAL
    # (a power cut may lose the last commits, never corrupt) and makes the demo seed's many commits cheap.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    # Transactions take the write lock up front, so two processes never deadlock upgrading a read lock
    # ("database is locked" despite the timeout).
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# Object storage: local files by default; S3-compatible (MinIO, OSS, COS, S3) when a bucket is configured.
STORAGE_BUCKET = env("STORAGE_BUCKET")
if STORAGE_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_BUCKET,
            "endpoint_url": env("STORAGE_ENDPOINT_URL"),
            "access_key": env("STORAGE_ACCESS_KEY"),
            "secret_key": env("STORAGE_SECRET_KEY"),
            "region_name": env("STORAGE_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Redis switches on the real channel layer, the Celery broker and a shared cache.
REDIS_URL = env("REDIS_URL")
REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", "dsm")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_KEY_PREFIX}:asgi"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies mid-run is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}:celery:", "visibility_timeout": 300}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {}  # filled by apps (see each app's tasks module); synced into django-celery-beat

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.PrincipalJWTAuthentication"],
    # Deny by default: an authenticated staff member (patient tokens only where a view says IsPatient).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsStaff"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min"},
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", SECRET_KEY),
    "ALGORITHM": "HS256",
    "USER_ID_FIELD": "id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "日间手术管理平台 API",
    "DESCRIPTION": "Day-surgery management platform: REST API (version 1). Errors use one envelope "
    "{error: {code, message, fields}} with stable codes; messages are Chinese unless Accept-Language: en.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"ManagementModeEnum": "org.models.ManagementMode"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Domain settings -------------------------------------------------------------------------------------------
# Field-level encryption of sensitive identifiers (身份证号 etc.). Production must set its own key.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", "")
# Hospital simulator / real hospital endpoints (see integrations).
HOSPITAL_SIM_URL = env("HOSPITAL_SIM_URL", "http://127.0.0.1:8765")
# Adapter per port (integrations.registry.get_port). The real FHIR/HTTP adapters talk to HOSPITAL_SIM_URL unless
# a port's own base URL is set (env <PORT>_BASE_URL, e.g. HIS_BASE_URL=https://his.example/fhir).
INTEGRATION_ADAPTERS = {
    "his": env("HIS_ADAPTER", "integrations.adapters.fhir.FhirHisAdapter"),
    "lis": env("LIS_ADAPTER", "integrations.adapters.fhir.FhirLisAdapter"),
    "pacs": env("PACS_ADAPTER", "integrations.adapters.fhir.FhirPacsAdapter"),
    "sms": env("SMS_ADAPTER", "integrations.adapters.sms.HttpSmsAdapter"),
    "voice": env("VOICE_ADAPTER", "integrations.adapters.http_json.HttpVoiceAdapter"),
    "theatre": env("THEATRE_ADAPTER", "integrations.adapters.http_json.HttpTheatreAdapter"),
    "medtech": env("MEDTECH_ADAPTER", "integrations.adapters.http_json.HttpMedtechAdapter"),
    "ca": env("CA_ADAPTER", "integrations.adapters.http_json.HttpCaAdapter"),
    "wechat": env("WECHAT_ADAPTER", "integrations.adapters.wechat.WechatpyAdapter"),
    "payment": env("PAYMENT_ADAPTER", "integrations.adapters.wechat.WechatPayAdapter"),
    # The demo cannot redirect firebase-admin, so push goes to the simulator's recorder; production sets
    # PUSH_ADAPTER=integrations.adapters.fcm.FirebasePushAdapter.
    "push": env("PUSH_ADAPTER", "integrations.adapters.http_json.SimulatorPushAdapter"),
    "internet_hospital": env("INTERNET_HOSPITAL_ADAPTER",
                             "integrations.adapters.internet_hospital.HttpInternetHospitalAdapter"),
    # S3 API when an object store is configured, else files under MEDIA_ROOT (the embedded demo).
    "storage": env("OBJECT_STORAGE_ADAPTER", "integrations.adapters.storage.Boto3ObjectStorage"
                   if env("OBJECT_STORAGE_ENDPOINT_URL") or env("STORAGE_BUCKET")
                   else "integrations.adapters.storage.LocalObjectStorage"),
}
INTEGRATION_ENDPOINTS = {
    port: env(f"{port.upper()}_BASE_URL", "")
    for port in ("his", "lis", "pacs", "sms", "voice", "theatre", "medtech", "ca", "push", "internet_hospital")
}
# Per attempt timeout (s), attempts, exponential backoff base and cap (s); "per_port" overrides by port.
INTEGRATION_HTTP = {
    "timeout": float(env("INTEGRATION_TIMEOUT", "5")),
    "attempts": env_int("INTEGRATION_ATTEMPTS", 3),
    "backoff": float(env("INTEGRATION_BACKOFF", "0.3")),
    "max_backoff": 4.0,
}
SMS_SIGN_NAME = env("SMS_SIGN_NAME", "示例人民医院")
# WeChat mini program + WeChat Pay v2. api_base_url empty → the simulator (HOSPITAL_SIM_URL/wechat/);
# production sets WECHAT_API_BASE_URL=https://api.weixin.qq.com/ and WECHAT_PAY_BASE_URL=https://api.mch.weixin.qq.com/.
WECHAT = {
    "app_id": env("WECHAT_APP_ID", "wxsimulator0001"),
    "app_secret": env("WECHAT_APP_SECRET", "simulator-secret"),
    "api_base_url": env("WECHAT_API_BASE_URL", ""),
    "miniprogram_state": env("WECHAT_MINIPROGRAM_STATE", "formal"),
    "mch_id": env("WECHAT_PAY_MCH_ID", "1900000109"),
    "pay_api_key": env("WECHAT_PAY_API_KEY", "simulator-pay-key-0123456789abcdef"),
    "pay_base_url": env("WECHAT_PAY_BASE_URL", ""),
    "pay_notify_url": env("WECHAT_PAY_NOTIFY_URL", "http://127.0.0.1:8000/api/v1/payments/notify/"),
}
# Firebase Cloud Messaging (staff app push) for the production adapter.
FCM = {
    "project_id": env("FCM_PROJECT_ID", ""),
    "credentials_file": env("FCM_CREDENTIALS_FILE", ""),
}
# Object storage port (uploads, signed documents): S3 API (MinIO / OSS / COS / S3) through boto3.
OBJECT_STORAGE = {
    "bucket": env("OBJECT_STORAGE_BUCKET", env("STORAGE_BUCKET", "daysurgery")),
    "endpoint_url": env("OBJECT_STORAGE_ENDPOINT_URL", env("STORAGE_ENDPOINT_URL", "")),
    "access_key": env("OBJECT_STORAGE_ACCESS_KEY", env("STORAGE_ACCESS_KEY", "")),
    "secret_key": env("OBJECT_STORAGE_SECRET_KEY", env("STORAGE_SECRET_KEY", "")),
    "region_name": env("OBJECT_STORAGE_REGION", env("STORAGE_REGION", "us-east-1")),
}

# Accounts and authentication (see accounts/conf.py for what each one does).
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 300)  # a code expires after 5 minutes
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)  # wrong guesses before one code dies
OTP_PHONE_PER_MINUTE = env_int("OTP_PHONE_PER_MINUTE", 1)
OTP_PHONE_PER_HOUR = env_int("OTP_PHONE_PER_HOUR", 5)
OTP_IP_PER_HOUR = env_int("OTP_IP_PER_HOUR", 30)
OTP_LOCKOUT_FAILURES = env_int("OTP_LOCKOUT_FAILURES", 5)  # failed verifications (codes or passwords) …
OTP_LOCKOUT_MINUTES = env_int("OTP_LOCKOUT_MINUTES", 15)  # … lock the phone for this long
OTP_IP_FAILURES_PER_HOUR = env_int("OTP_IP_FAILURES_PER_HOUR", 30)  # failed verifications from one address
OTP_RETENTION_DAYS = env_int("OTP_RETENTION_DAYS", 30)  # OTP rows purged after this (audit entries stay)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)  # idle principals must log in again
PATIENT_SESSION_IDLE_MINUTES = env_int("PATIENT_SESSION_IDLE_MINUTES", SESSION_IDLE_MINUTES)
# The Django admin site's cookie session idles out like a token session: each request renews it for this long.
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
ADMIN_REQUIRE_SECOND_FACTOR = env_bool("ADMIN_REQUIRE_SECOND_FACTOR", True)  # user/permission admin needs pwd+otp
PATIENT_BIND_REQUIRE_HIS_PHONE = env_bool("PATIENT_BIND_REQUIRE_HIS_PHONE", True)

# Outbox (core.outbox): delivery of domain events after commit, retries, and the sweeper.
OUTBOX_SWEEP_AFTER_SECONDS = env_int("OUTBOX_SWEEP_AFTER_SECONDS", 60)  # undelivered this long → re-enqueue
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 20)  # then the message stays for an operator (last_error)
OUTBOX_TASK_MAX_RETRIES = env_int("OUTBOX_TASK_MAX_RETRIES", 5)
OUTBOX_RETRY_BACKOFF_SECONDS = env_int("OUTBOX_RETRY_BACKOFF_SECONDS", 2)  # 2, 4, 8, 16… seconds
OUTBOX_RETRY_BACKOFF_MAX = env_int("OUTBOX_RETRY_BACKOFF_MAX", 300)
OUTBOX_EXTRA_HANDLER_MODULES = env_list("OUTBOX_EXTRA_HANDLER_MODULES")  # besides every app's handlers.py
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 30)  # delivered messages are kept this long
# Length-of-stay clock (G3): hours after admission at which a case is flagged.
CASE_LOS_APPROACHING_24_HOURS = env_int("CASE_LOS_APPROACHING_24_HOURS", 20)
CASE_LOS_LIMIT_24_HOURS = env_int("CASE_LOS_LIMIT_24_HOURS", 24)  # beyond: delayed discharge
CASE_LOS_APPROACHING_48_HOURS = env_int("CASE_LOS_APPROACHING_48_HOURS", 44)
CASE_LOS_LIMIT_48_HOURS = env_int("CASE_LOS_LIMIT_48_HOURS", 48)  # beyond: discharge or transfer to inpatient
CELERY_BEAT_SCHEDULE["core.sweep_outbox"] = {"task": "core.sweep_outbox", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["cases.los_clock"] = {"task": "cases.los_clock", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["accounts.purge_expired"] = {"task": "accounts.purge_expired", "schedule": 3600.0}
# Procedure catalogue pulled from the HIS (Y3) every CATALOG_SYNC_HOURS hours (0 = only on demand).
CATALOG_SYNC_HOURS = env_int("CATALOG_SYNC_HOURS", 24)
if CATALOG_SYNC_HOURS:
    CELERY_BEAT_SCHEDULE["catalog.sync_procedures_from_his"] = {
        "task": "catalog.sync_procedures_from_his",
        "schedule": CATALOG_SYNC_HOURS * 3600.0,
    }
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "CaseStateEnum": "cases.models.CaseState",
        "CaseActorKindEnum": "cases.models.ActorKind",
        "CancelReasonEnum": "cases.models.CancelReason",
        "CancelStageEnum": "cases.models.CancelStage",
        "AnaesthesiaMethodEnum": "cases.models.AnaesthesiaMethod",
        "TestPackageKindEnum": "catalog.models.TestPackageKind",
        "SessionEnum": "cases.models.Session",
        "CapacityKindEnum": "capacity.models.CapacityKind",
    }
)
# B5: tomorrow's bookings under a virtual surgeon become the wards' to-dos (idempotent; hourly so that bookings
# made during the day for tomorrow appear too).
CELERY_BEAT_SCHEDULE["booking_policy.surgeon_assignment_todos"] = {
    "task": "booking_policy.surgeon_assignment_todos",
    "schedule": 3600.0,
}
# Booking flow (B1, B7, B9). HIS workstation clients that may launch bookings, "client_id:secret,…" (empty: off).
BOOKING_HIS_CLIENTS = dict(item.split(":", 1) for item in env_list("BOOKING_HIS_CLIENTS") if ":" in item)
BOOKING_HIS_SIGNATURE_WINDOW_SECONDS = env_int("BOOKING_HIS_SIGNATURE_WINDOW_SECONDS", 300)
BOOKING_LAUNCH_TICKET_SECONDS = env_int("BOOKING_LAUNCH_TICKET_SECONDS", 120)  # the doctor's single-use link
BOOKING_DOCTOR_LAUNCH_URL = env("BOOKING_DOCTOR_LAUNCH_URL", "/booking/launch?ticket={ticket}&draft={draft}")
BOOKING_DRAFT_TIMEOUT_MINUTES = env_int("BOOKING_DRAFT_TIMEOUT_MINUTES", 120)  # then the draft enters the pool
BOOKING_PATIENT_APP_PAGE = env("BOOKING_PATIENT_APP_PAGE", "pages/case/detail?case={case}")
BOOKING_PATIENT_H5_URL = env("BOOKING_PATIENT_H5_URL", "https://patient.example.invalid/cases/{case}")
BOOKING_WECHAT_TEMPLATE_ID = env("BOOKING_WECHAT_TEMPLATE_ID", "DS-BOOKED")
BOOKING_SMS_TEMPLATE = env("BOOKING_SMS_TEMPLATE", "booking_confirmed")
CELERY_BEAT_SCHEDULE["booking.pool_stale_drafts"] = {"task": "booking.pool_stale_drafts", "schedule": 300.0}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "AdmissionRuleKindEnum": "booking_policy.models.RuleKind",
        "GrantableBookingModeEnum": "booking_policy.models.GrantableMode",
        "BookingModeEnum": "cases.models.BookingMode",
    }
)

# Capacity (B4, Y5): slots are released from the weekly templates this many days ahead, daily (0 = only by hand).
CAPACITY_RELEASE_DAYS = env_int("CAPACITY_RELEASE_DAYS", 28)
if CAPACITY_RELEASE_DAYS:
    CELERY_BEAT_SCHEDULE["capacity.release_horizon"] = {"task": "capacity.release_horizon", "schedule": 86400.0}

# --- Clinical results, CA trust anchor, sedated endoscopy import (H3: clinical, integrations, A8, A11) ---------
# The hospital CA's root certificate (PEM text, or a file named by CA_TRUST_ANCHOR_FILE): signatures are verified
# against it offline. Empty = fetched from the CA itself, acceptable only for the simulator (production refuses).
CA_TRUST_ANCHOR_PEM = env("CA_TRUST_ANCHOR_PEM", "") or (
    Path(env("CA_TRUST_ANCHOR_FILE")).read_text() if env("CA_TRUST_ANCHOR_FILE") else "")
# A11: which ward a sedated endoscopy appointment lands in, by the medical-tech exam code ("default" for the
# rest): env "default:DSC-W,BRONCH-S:RESP-W". Ward codes as in org.Ward.code.
ANAESTHESIA_SEDATION_WARDS = dict(
    item.split(":", 1) for item in env_list("ANAESTHESIA_SEDATION_WARDS", "default:DSC-W") if ":" in item)
# Days ahead imported by the daily task (1 = tomorrow, 2 = the day after).
ANAESTHESIA_SEDATION_IMPORT_DAYS = [int(d) for d in env_list("ANAESTHESIA_SEDATION_IMPORT_DAYS", "1,2")]
CELERY_BEAT_SCHEDULE["anaesthesia.sedation_appointments_import"] = {
    "task": "anaesthesia.sedation_appointments_import", "schedule": 86400.0}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ClinicalExamKindEnum": "clinical.models.ExamKind",
        "LabFlagEnum": "clinical.models.Flag",
        "LabArrowEnum": "clinical.models.Arrow",
        "SedationAppointmentStatusEnum": "anaesthesia.models.SedationAppointmentStatus",
    }
)

# --- risk (A1, A6, A7): knowledge base, procedure risk profiles, evaluations (helper H2) ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "KnowledgeBaseStatusEnum": "risk.models.KnowledgeBaseStatus",
        "RiskLevelEnum": "risk.models.Level",
        "RiskEventEnum": "risk.models.Event",
        "RiskDispositionEnum": "risk.models.Disposition",
        "AnaesthetistSeniorityEnum": "risk.models.Seniority",
        "RiskProcedureTypeEnum": "risk.models.ProcedureType",
    }
)

# --- anaesthesia clinic (A1–A12, D4): assessments, mapping rules (helper H4) ---
# SMS templates of a failed assessment and the assessment number prefix have defaults in anaesthesia/conf.py.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "AnaesthesiaAssessmentStatusEnum": "anaesthesia.models.AssessmentStatus",
        "AnaesthesiaResultKindEnum": "anaesthesia.models.MappingKind",
    }
)

# --- consent (A8): the OpenAPI name of the consent document's status enum ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "ConsentStatusEnum": "consent.models.ConsentStatus",
    }
)

# Settings contributed by the pre-operative and follow-up contexts, each in its own `<app>/settings_part.py` (plain data).
for _app in ("preop", "timeline", "scheduling", "doctor_assessment", "stay", "messaging", "todos", "recovery", "forms",
             "followup", "education", "consultation"):
    _part = importlib.import_module(f"{_app}.settings_part")
    CELERY_BEAT_SCHEDULE.update(_part.BEAT_SCHEDULE)
    SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(_part.ENUM_NAME_OVERRIDES)
    globals().update(_part.SETTINGS)
