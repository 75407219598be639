"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os

BEAT_SCHEDULE: dict = {
    # D1: results of cases planned in the next days are pulled from the LIS/PACS and evaluated (D5).
    "doctor_assessment.pull_results": {"task": "doctor_assessment.pull_results", "schedule": 1800.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "DoctorAssessmentDecisionEnum": "doctor_assessment.models.Decision",
    "HighRiskRuleKindEnum": "doctor_assessment.models.RuleKind",
    "HighRiskCategoryEnum": "doctor_assessment.models.FindingCategory",
    "HighRiskSeverityEnum": "doctor_assessment.models.Severity",
    "HighRiskComparatorEnum": "doctor_assessment.models.Comparator",
}
SETTINGS: dict = {
    # Defaults of a hospital that has not set its own (AssessmentSettings, admin API /doctor-assessment-settings/).
    "DOCTOR_ASSESSMENT_RESULTS_WINDOW_DAYS": int(os.environ.get("DOCTOR_ASSESSMENT_RESULTS_WINDOW_DAYS", "30")),
    "DOCTOR_ASSESSMENT_PULL_AHEAD_DAYS": int(os.environ.get("DOCTOR_ASSESSMENT_PULL_AHEAD_DAYS", "7")),
    # A case's results are pulled again by the periodic task at most this often.
    "DOCTOR_ASSESSMENT_PULL_EVERY_MINUTES": int(os.environ.get("DOCTOR_ASSESSMENT_PULL_EVERY_MINUTES", "120")),
    # D3: exam images are copied into object storage only up to this size (the transfer limit), and served
    # through presigned URLs valid this long.
    "CLINICAL_IMAGE_MAX_BYTES": int(os.environ.get("CLINICAL_IMAGE_MAX_BYTES", str(5 * 1024 * 1024))),
    "CLINICAL_IMAGE_URL_SECONDS": int(os.environ.get("CLINICAL_IMAGE_URL_SECONDS", "300")),
    "CLINICAL_IMAGE_MAX_PER_REPORT": int(os.environ.get("CLINICAL_IMAGE_MAX_PER_REPORT", "20")),
}
