"""Messaging settings with their defaults (override in settings / environment)."""

from django.conf import settings

DEFAULTS = {
    # The patient H5 entry that turns an app path ("/pages/forms/fill?assignment=…") into the {link} of an SMS.
    "MESSAGING_PATIENT_H5_BASE_URL": "https://patient.example.invalid",
    "MESSAGING_WECHAT_TEMPLATE_ID": "DS-NOTICE",  # the general subscribe-message template (thing1, thing2, time3)
    "MESSAGING_SMS_TEMPLATE": "ds_notice",  # the gateway's general notice template ({title}, {content})
    "MESSAGING_VOICE_SCENARIO": "notice",  # the voice platform's read-out scenario
    # The surgery anchor of time-offset plans: this time of day on the planned date.
    "MESSAGING_SURGERY_ANCHOR_TIME": "08:00",
    # A message whose every channel was down is retried: backoff × 2^(round-1) seconds, capped, for max rounds.
    "MESSAGING_RETRY_BACKOFF_SECONDS": 120,
    "MESSAGING_RETRY_BACKOFF_MAX_SECONDS": 3600,
    "MESSAGING_MAX_ROUNDS": 5,
    # Signed delivery-receipt callbacks of the SMS gateway: {client_id: secret}; empty = receipts off.
    "MESSAGING_RECEIPT_CLIENTS": {},
    "MESSAGING_RECEIPT_WINDOW_SECONDS": 300,
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
