"""Function permissions of informed consent (A8)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_TEMPLATES = declare("consent.view_templates", "Read consent templates and their versions", ALL_STAFF)
MANAGE_TEMPLATES = declare(
    "consent.manage_templates", "Draft, publish and retire the hospital's consent templates", ["hospital_admin"]
)
VIEW_CONSENT = declare(
    "consent.view", "Read patients' consent documents and verify their signatures (own wards)", ALL_STAFF
)
OPEN_CONSENT = declare(
    "consent.open", "Open a consent document from an anaesthesia assessment", ["anaesthetist", "doctor"]
)
SIGN_AS_CLINICIAN = declare(
    "consent.sign_clinician", "Sign a consent document with one's CA certificate", ["anaesthetist", "doctor"]
)
COLLECT_PATIENT_SIGNATURE = declare(
    "consent.collect_patient_signature", "Record the patient's or guardian's signature-pad signature",
    ["anaesthetist", "doctor", "nurse"],
)
VOID_CONSENT = declare(
    "consent.void", "Void a consent document with a reason", ["anaesthetist", "doctor", "hospital_admin"]
)
