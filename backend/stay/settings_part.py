"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os

BEAT_SCHEDULE: dict = {
    # A03 messages the HIS did not accept at discharge time are sent again (the outbox also retries).
    "stay.his_discharge_resend": {"task": "stay.his_discharge_resend", "schedule": 600.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "StaySourceEnum": "stay.models.Source",
    "HisSyncStatusEnum": "stay.models.HisSyncStatus",
    "TheatrePointEnum": "stay.models.TheatrePoint",
    "ClavienDindoGradeEnum": "stay.models.ClavienDindo",
    "ComplicationStageEnum": "stay.models.CareStage",
    "AdverseEventKindEnum": "stay.models.AdverseEventKind",
    "AdverseEventHarmEnum": "stay.models.HarmLevel",
    "DischargeDispositionEnum": "stay.models.DischargeDisposition",
    "InpatientTransferReasonEnum": "stay.models.TransferReason",
    "LosAlertLevelEnum": "cases.models.LosAlertLevel",
}
SETTINGS: dict = {
    # PADS total needed for "ready for home" (Chung: ≥ 9 of 10); an item scored 0 never passes.
    "STAY_PADS_READY_SCORE": int(os.environ.get("STAY_PADS_READY_SCORE", "9")),
    # A discharge assessment older than this before the discharge no longer counts (re-assess).
    "STAY_PADS_VALID_HOURS": int(os.environ.get("STAY_PADS_VALID_HOURS", "6")),
}
