"""Function permissions of the stay context (admission → discharge, theatre day facts, G3)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_STAY = declare(
    "stay.view",
    "Read the day-of-surgery record of one's wards: admission, theatre times, complications, adverse events, "
    "discharge and transfer, and the 24 h / 48 h length-of-stay alerts",
    ALL_STAFF,
)
REGISTER_ADMISSION = declare(
    "stay.register_admission", "Register a day-surgery admission with the HIS (住院号, bed)", ["nurse", "doctor"]
)
RECORD_THEATRE_TIMES = declare(
    "stay.record_theatre_times", "Record and correct the theatre time points of an operation",
    ["nurse", "anaesthetist", "doctor"],
)
RECORD_INCIDENTS = declare(
    "stay.record_incidents",
    "Record complications (Clavien–Dindo), adverse events and unplanned returns to theatre",
    ["doctor", "nurse", "anaesthetist"],
)
ASSESS_DISCHARGE = declare(
    "stay.assess_discharge", "Record a discharge assessment (PADS)", ["nurse", "doctor", "anaesthetist"]
)
DISCHARGE = declare(
    "stay.discharge", "Discharge a patient with instructions and the discharge disposition", ["nurse", "doctor"]
)
OVERRIDE_DISCHARGE_CRITERIA = declare(
    "stay.override_discharge_criteria",
    "Discharge a patient without a passing discharge assessment, giving the reason",
    ["doctor"],
)
TRANSFER = declare(
    "stay.transfer_to_inpatient", "Transfer a day-surgery patient to an inpatient ward (HIS ADT A02)",
    ["doctor", "nurse"],
)
