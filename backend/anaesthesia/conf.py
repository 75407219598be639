"""Anaesthesia clinic settings with their defaults (overridable in settings)."""

from django.conf import settings

DEFAULTS = {
    # SMS templates of a failed assessment (A12); the gateway fills in the params.
    "ANAESTHESIA_FAIL_SMS_TEMPLATE_PATIENT": "anaesthesia_failed_patient",
    "ANAESTHESIA_FAIL_SMS_TEMPLATE_DOCTOR": "anaesthesia_failed_doctor",
    "ANAESTHESIA_ASSESSMENT_NO_PREFIX": "MZ",
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
