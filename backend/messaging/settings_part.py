"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os

BEAT_SCHEDULE: dict = {
    "messaging.offset_plans": {"task": "messaging.offset_plans", "schedule": 300.0},
    "messaging.retry_due": {"task": "messaging.retry_due", "schedule": 60.0},
    "messaging.purge_receipt_nonces": {"task": "messaging.purge_receipt_nonces", "schedule": 3600.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "MessageChannelEnum": "messaging.models.Channel",
    "MessagePatientChannelEnum": "messaging.models.PATIENT_CHANNEL_CHOICES",
    "MessageStaffChannelEnum": "messaging.models.STAFF_CHANNEL_CHOICES",
    "MessageAudienceEnum": "messaging.models.Audience",
    "MessageStatusEnum": "messaging.models.MessageStatus",
    "MessageAttemptStatusEnum": "messaging.models.AttemptStatus",
    "MessageTriggerKindEnum": "messaging.models.TriggerKind",
    "MessageAnchorEnum": "messaging.models.Anchor",
    "DevicePlatformEnum": "messaging.models.DevicePlatform",
}


def _clients(value: str) -> dict:
    pairs = (item.split(":", 1) for item in value.split(",") if ":" in item)
    return {k.strip(): v.strip() for k, v in pairs if k.strip() and v.strip()}


SETTINGS: dict = {
    "MESSAGING_PATIENT_H5_BASE_URL": os.environ.get("MESSAGING_PATIENT_H5_BASE_URL",
                                                    "https://patient.example.invalid"),
    "MESSAGING_WECHAT_TEMPLATE_ID": os.environ.get("MESSAGING_WECHAT_TEMPLATE_ID", "DS-NOTICE"),
    "MESSAGING_SMS_TEMPLATE": os.environ.get("MESSAGING_SMS_TEMPLATE", "ds_notice"),
    # SMS gateway delivery receipts (signed like the HIS launch): client_id:secret,…; empty = off.
    "MESSAGING_RECEIPT_CLIENTS": _clients(os.environ.get("MESSAGING_RECEIPT_CLIENTS", "")),
}
