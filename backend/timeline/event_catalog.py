"""The case events an administrator can build triggers on (Y6): type, meaning, and the `data` keys a `where`
condition may test. Reference for the configuration screen; triggers may also name types not listed here (a
context added later), so validation checks the form of a type, not its presence in this list."""

from django.utils.translation import gettext_lazy as _

from cases.state_machine import TRANSITIONS

_OTHERS = [
    ("cases.case.created", _("Case created (draft)"), ["procedure_name", "planned_date", "surgeon"]),
    ("cases.case.details_updated", _("Case details edited"), ["fields"]),
    ("cases.case.preop_assessment_recorded", _("Pre-operative assessment recorded"), ["milestone", "from", "to",
                                                                                     "note"]),
    ("cases.case.anaesthesia_clinic_recorded", _("Anaesthesia clinic result recorded"), ["milestone", "from", "to",
                                                                                        "note"]),
    ("cases.case.los_alert_raised", _("Length-of-stay alert raised"), ["level"]),
    ("booking.draft_started", _("Booking started from the HIS"), ["source", "visit_no"]),
    ("messaging.message.sent", _("Message to the patient accepted by the gateway"), ["channel", "kind", "status"]),
    ("patient.app.logged_in", _("Patient logged in to the app"), []),
    ("patient.details.completed", _("Patient completed their details"), []),
    ("education.material.read", _("Patient read education material"), ["kind", "material", "title"]),
    ("consent.document.completed", _("Consent signed"), []),
    ("anaesthesia.clinic.sms_sent", _("Anaesthesia clinic SMS sent"), []),
    ("clinical.findings.flagged", _("High-risk findings changed"), ["high_risk", "categories", "flags"]),
    ("scheduling.application.submitted", _("Application received by the theatre system"), ["application_no"]),
    ("scheduling.application.failed", _("Application to the theatre system failed"), ["error"]),
    ("stay.admission.registered", _("Admission registered in the HIS"), ["admission_no", "bed_no", "his_visit_no"]),
    ("stay.theatre_time.recorded", _("Theatre time recorded"), ["point", "at"]),
    ("stay.complication.recorded", _("Complication recorded"), []),
    ("stay.adverse_event.recorded", _("Adverse event recorded"), []),
    ("stay.unplanned_return.recorded", _("Unplanned return to theatre recorded"), []),
    ("stay.discharge_assessment.recorded", _("Discharge assessment recorded"), ["score", "passed", "tool"]),
    ("stay.discharge.instructions_given", _("Discharge instructions given"), []),
    ("forms.form.assigned", _("Questionnaire given to the patient"),
     ["assignment", "form", "title", "source", "available_from", "notify"]),
    ("forms.response.submitted", _("Questionnaire answered"),
     ["assignment", "form", "version", "source", "channel", "score", "abnormal", "has_abnormal", "complete"]),
    ("forms.form.available", _("Questionnaire opened to the patient (announced)"),
     ["assignment", "form", "title", "source", "available_from", "notify"]),
    ("forms.assignment.reopened", _("Questionnaire reopened"), ["assignment", "form", "reason"]),
    ("forms.assignment.cancelled", _("Questionnaire withdrawn"), ["assignment", "form", "reason"]),
    ("followup.task.created", _("Follow-up due"), ["task", "time_point", "due_at"]),
    ("followup.voice.started", _("Follow-up voice call started"), ["task", "call", "outcome"]),
    ("followup.voice.finished", _("Follow-up voice call finished"), ["task", "call", "outcome"]),
    ("followup.selfreport.requested", _("Follow-up form link sent to the patient"),
     ["task", "assignment", "link", "deadline"]),
    ("followup.manual_call.created", _("Manual follow-up call needed"), ["task", "deadline"]),
    ("followup.task.completed", _("Follow-up completed"), ["task", "tier", "outcome"]),
    ("followup.tag.added", _("Follow-up tag added"), ["tag", "label", "automatic"]),
    ("followup.tag.removed", _("Follow-up tag removed"), ["tag", "label"]),
    ("consultation.wound.submitted", _("Wound consultation sent by the patient"), ["consultation"]),
    ("consultation.wound.answered", _("Wound consultation answered"), ["consultation", "advice"]),
    ("consultation.message.sent", _("Consultation message sent"), ["conversation", "message", "sender"]),
    ("recovery.treatment_plan.published", _("First-week treatment plan published"), ["plan", "version"]),
]


# Facts a transition's guard or effect adds to its event (cases.state_machine, stay.rules).
_DERIVED = {
    "cases.case.booked": ["booking_mode"],
    "cases.case.application_sent": ["excluded_from_scheduling"],
    "cases.case.discharged": ["discharge_assessment", "discharge_override"],
}


def event_catalog() -> list[dict]:
    rows = [{"type": t.event_type, "label": str(t.label),
             "data": ["transition", *t.required, *t.optional, *_DERIVED.get(t.event_type, [])]}
            for t in TRANSITIONS.values()]
    rows += [{"type": type_, "label": str(label), "data": list(data)} for type_, label, data in _OTHERS]
    return sorted(rows, key=lambda r: r["type"])
