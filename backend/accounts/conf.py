"""Accounts settings with their defaults (overridable in settings / environment, see config/settings/base.py)."""

from django.conf import settings

DEFAULTS = {
    "OTP_TTL_SECONDS": 300,
    "OTP_MAX_ATTEMPTS": 5,
    "OTP_PHONE_PER_MINUTE": 1,
    "OTP_PHONE_PER_HOUR": 5,
    "OTP_IP_PER_HOUR": 30,
    "OTP_LOCKOUT_FAILURES": 5,
    "OTP_LOCKOUT_MINUTES": 15,
    "OTP_IP_FAILURES_PER_HOUR": 30,
    "OTP_RETENTION_DAYS": 30,  # verification rows are purged after this (audit entries stay)
    "SESSION_IDLE_MINUTES": 30,
    "PATIENT_SESSION_IDLE_MINUTES": 30,
    "SESSION_TOUCH_SECONDS": 60,  # last-activity writes at most this often per principal
    "ADMIN_REQUIRE_SECOND_FACTOR": True,
    "PATIENT_BIND_REQUIRE_HIS_PHONE": True,
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
