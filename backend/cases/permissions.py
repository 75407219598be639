"""Function permissions of the surgical-case context (Y2). The transition table names one per transition."""

from accounts.permissions import ALL_STAFF, declare

VIEW_CASES = declare("cases.view", "Read surgical cases of one's wards (list, detail, timeline)", ALL_STAFF)
CREATE_CASE = declare("cases.create", "Create a draft surgical case", ["doctor", "nurse"])
BOOK_CASE = declare(
    "cases.book", "Confirm a booking, move a case to the pending pool and resume it", ["doctor", "nurse"]
)
SEND_APPLICATION = declare("cases.send_application", "Send the surgery application to the theatre", ["doctor", "nurse"])
ROLL_BACK_APPLICATION = declare(
    "cases.roll_back_application", "Roll back a surgery application that is not yet scheduled", ["doctor", "nurse"]
)
RECORD_THEATRE_SCHEDULE = declare(
    "cases.record_theatre_schedule", "Record the theatre's scheduling or cancellation of a schedule", ["nurse"]
)
RESCHEDULE_CASE = declare("cases.reschedule", "Move a case to another date within the rules", ["doctor", "nurse"])
CANCEL_CASE = declare("cases.cancel", "Cancel a case (reason and stage recorded)", ["doctor", "nurse"])
RECORD_NO_SHOW = declare("cases.record_no_show", "Record that a patient did not arrive", ["nurse"])
TERMINATE_CASE = declare(
    "cases.terminate", "End a case after a failed anaesthesia assessment", ["anaesthetist", "doctor", "nurse"]
)
ADMIT_DISCHARGE = declare("cases.admit_discharge", "Admit and discharge day-surgery patients", ["nurse", "doctor"])
RECORD_THEATRE = declare(
    "cases.record_theatre", "Record theatre entry, incision and end of operation", ["nurse", "anaesthetist", "doctor"]
)
TRANSFER_TO_INPATIENT = declare(
    "cases.transfer_to_inpatient", "Transfer a day-surgery patient to an inpatient ward", ["doctor", "nurse"]
)
MANAGE_FOLLOW_UP = declare(
    "cases.follow_up", "Start follow-up and close a case", ["followup_nurse", "nurse", "doctor"]
)
RECORD_ANAESTHESIA_CLINIC = declare(
    "cases.record_anaesthesia_clinic", "Record the anaesthesia clinic result", ["anaesthetist"]
)
RECORD_PREOP_ASSESSMENT = declare(
    "cases.record_preop_assessment", "Record the doctor's pre-operative assessment decision", ["doctor"]
)
EDIT_CASE_DETAILS = declare(
    "cases.edit_details", "Edit a case's booking details, companion and remarks before the application", ["nurse", "doctor"]
)
