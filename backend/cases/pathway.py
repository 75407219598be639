"""The care-pathway map (G1): the ordered stages of a case's pathway and where this case stands on each.

Statuses: "done", "current", "pending", "skipped" (the step does not apply: outpatient surgery has no
admission or discharge; an assessment that is not required; everything after a case ended early).
"""

from django.utils.translation import gettext_lazy as _

from cases.models import AnaesthesiaClinicStatus, CaseState, PreopAssessmentStatus
from org.models import ManagementMode

S = CaseState

# (key, label, main states that mean "we are at this stage")
MAIN_STAGES = [
    ("booking", _("Booking"), {S.DRAFT, S.PENDING_POOL, S.BOOKED}),
    ("application", _("Surgery application"), {S.APPLICATION_SENT}),
    ("scheduling", _("Theatre schedule"), {S.SCHEDULED}),
    ("admission", _("Admission"), {S.ADMITTED}),
    ("operation", _("Operation"), {S.IN_THEATRE, S.OPERATED}),
    ("discharge", _("Discharge"), {S.DISCHARGED}),
    ("follow_up", _("Follow-up"), {S.FOLLOW_UP}),
    ("closed", _("Closed"), {S.CLOSED}),
]
MILESTONE_STAGES = [  # shown between booking and application
    ("anaesthesia_clinic", _("Anaesthesia assessment"), "anaesthesia_clinic_status"),
    ("preop_assessment", _("Pre-operative assessment"), "preop_assessment_status"),
]
OUTPATIENT_SKIPPED = {"admission", "discharge"}
ENDED = {S.CANCELLED, S.NO_SHOW, S.TERMINATED, S.TRANSFERRED_TO_INPATIENT}
# state -> (index of the last main stage completed, index of the main stage in progress or None)
_PROGRESS = {
    S.DRAFT: (-1, 0),
    S.PENDING_POOL: (-1, 0),
    S.BOOKED: (0, None),
    S.APPLICATION_SENT: (1, None),
    S.SCHEDULED: (2, None),
    S.ADMITTED: (3, None),
    S.IN_THEATRE: (3, 4),
    S.OPERATED: (4, None),
    S.DISCHARGED: (5, None),
    S.FOLLOW_UP: (5, 6),
    S.CLOSED: (7, None),
}
_MILESTONE_DONE = {
    AnaesthesiaClinicStatus.PASSED, AnaesthesiaClinicStatus.FAILED,
    PreopAssessmentStatus.PASSED, PreopAssessmentStatus.NEEDS_ATTENTION, PreopAssessmentStatus.NOT_SUITABLE,
}


def care_pathway(case) -> dict:
    """{"current": stage key or None, "outcome": ended state or None, "stages": [{key, label, status, result}]}."""
    outpatient = case.ward.management_mode == ManagementMode.OUTPATIENT
    ended = case.state in ENDED
    # An ended case is drawn as it stood when it left the pathway.
    done_through, in_progress = _PROGRESS.get(case.previous_state if ended else case.state, (-1, 0))
    stages = []
    for index, (key, label, _states) in enumerate(MAIN_STAGES):
        if outpatient and key in OUTPATIENT_SKIPPED:
            status = "skipped"
        elif index <= done_through:
            status = "done"
        elif ended:
            status = "done" if (index == in_progress and key == "operation") else "skipped"
        elif index == in_progress:
            status = "current"
        else:
            status = "pending"
        stages.append({"key": key, "label": str(label), "status": status, "result": ""})
        if key == "booking":
            for m_key, m_label, field in MILESTONE_STAGES:
                value = getattr(case, field)
                if value == AnaesthesiaClinicStatus.NOT_REQUIRED:
                    m_status = "skipped"
                elif value in _MILESTONE_DONE:
                    m_status = "done"
                else:
                    m_status = "skipped" if ended else "pending"
                stages.append({"key": m_key, "label": str(m_label), "status": m_status, "result": value})
    current = None
    if not ended:
        current = next((st["key"] for st in stages if st["status"] == "current"), None)
        if current is None:  # between stages: the first one still to do is where the patient is heading
            for stage in stages:
                if stage["status"] == "pending":
                    stage["status"] = "current"
                    current = stage["key"]
                    break
    return {"current": current, "outcome": case.state if ended else None, "stages": stages}
