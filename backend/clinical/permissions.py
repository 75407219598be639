"""Function permissions of the clinical-results context (A3–A5) and the sedated-endoscopy import (A11)."""

from accounts.permissions import declare

VIEW_RESULTS = declare(
    "clinical.view_results", "Read lab, imaging and ECG results of patients of one's wards",
    ["doctor", "nurse", "anaesthetist"],
)
REFRESH_RESULTS = declare(
    "clinical.refresh_results", "Fetch a visit's results again from the LIS and PACS",
    ["doctor", "nurse", "anaesthetist"],
)
IMPORT_SEDATION_APPOINTMENTS = declare(
    "clinical.import_sedation_appointments",
    "Import sedated endoscopy appointments from the medical-technology appointment system",
    ["anaesthetist", "hospital_admin"],
)
VIEW_SEDATION_APPOINTMENTS = declare(
    "clinical.view_sedation_appointments", "Read sedated endoscopy appointments of one's wards",
    ["anaesthetist", "nurse", "doctor", "hospital_admin"],
)
