"""What clicking a node shows (T3): its facts, links to the full records, and the case events behind it.

Each detail kind reads the records of its own context (booking deliveries = the admission certificate sent to the
HIS, clinical results, anaesthesia assessments…) for this one case; the events are those that fired any of the
node's triggers, so an administrator's new trigger shows up here without code.
"""

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from cases.models import CaseEvent
from timeline.definitions import TRIGGERS, trigger_fires
from timeline.engine import event_payload
from timeline.models import DetailKind


def _link(rel, title, name, **kwargs):
    try:
        return {"rel": rel, "title": title, "href": reverse(f"v1:{name}", kwargs=kwargs)}
    except NoReverseMatch:  # a context that is not installed (or not yet built) offers no link
        return None


def _last(events, event_type):
    return next((e for e in reversed(events) if e.type == event_type), None)


def _event_row(event):
    return {
        "uuid": str(event.uuid), "type": event.type, "sequence": event.sequence, "occurred_at": event.occurred_at,
        "actor": {"type": event.actor_type, "name": event.actor_name}, "data": event.payload or {},
    }


def _people(case):
    return {"surgeon": case.surgeon.name if case.surgeon_id else "", "ward": case.ward.name}


def _booking(case, events):
    from booking.models import BookingDelivery, DeliveryChannel

    deliveries = BookingDelivery.objects.filter(case=case).order_by("delivered_at", "id")
    certificates = [
        {"status": d.status, "certificate_id": d.external_id, "inpatient_no": d.inpatient_no,
         "delivered_at": d.delivered_at, "detail": d.detail}
        for d in deliveries if d.channel == DeliveryChannel.HIS_CERTIFICATE
    ]
    facts = {
        **_people(case), "booked_at": case.booked_at, "booked_by": case.booked_by.name if case.booked_by_id else "",
        "booking_mode": case.booking_mode, "visit_no": case.visit_no, "planned_date": case.planned_date,
        "planned_session": case.planned_session, "procedure_name": case.procedure_name,
        "procedure_code": case.procedure_code, "diagnosis_name": case.diagnosis_name,
        "anaesthesia_method": case.anaesthesia_method, "admission_certificates": certificates,
    }
    links = [_link("case", _("Case details"), "case-detail", uuid=case.uuid),
             _link("preop_detail", _("Pre-operative details"), "preop-case-detail", uuid=case.uuid)]
    return facts, links


def _messages(case, events):
    from booking.models import BookingDelivery, DeliveryChannel

    sent = [
        {"channel": d.channel, "status": d.status, "delivered_at": d.delivered_at, "detail": d.detail}
        for d in BookingDelivery.objects.filter(case=case).exclude(channel=DeliveryChannel.HIS_CERTIFICATE)
        .order_by("delivered_at", "id")
    ]
    messages = [{"channel": (e.payload or {}).get("channel", ""), "kind": (e.payload or {}).get("kind", ""),
                 "status": (e.payload or {}).get("status", ""), "sent_at": e.occurred_at}
                for e in events if e.type == "messaging.message.sent"]
    return {"booking_notices": sent, "messages": messages}, [
        _link("messages", _("Messages sent"), "preop-case-messages", uuid=case.uuid)]


def _education(case, events):
    read = [{"kind": (e.payload or {}).get("kind", ""), "material": (e.payload or {}).get("material", ""),
             "title": (e.payload or {}).get("title", ""), "read_at": e.occurred_at}
            for e in events if e.type == "education.material.read"]
    return {"materials_read": read}, []


def _results_summary(case):
    from clinical.models import ExamReport, Flag, LabResult

    labs = LabResult.objects.filter(report__patient=case.patient)
    exams = ExamReport.objects.filter(patient=case.patient)
    if case.visit_no:
        labs, exams = labs.filter(report__visit_no=case.visit_no), exams.filter(visit_no=case.visit_no)
    lab = labs.aggregate(total=Count("id"), abnormal=Count("id", filter=~Q(flag__in=[Flag.NORMAL, Flag.NONE])),
                         critical=Count("id", filter=Q(flag__in=[Flag.CRITICAL_HIGH, Flag.CRITICAL_LOW])))
    exam = exams.aggregate(total=Count("id"), abnormal=Count("id", filter=Q(abnormal=True)))
    return {"visit_no": case.visit_no, "lab_results": lab, "exam_reports": exam}


def _result_links(case):
    return [_link("lab_results", _("Lab results"), "case-lab-results", uuid=case.uuid),
            _link("exam_reports", _("Exam reports"), "case-exam-reports", uuid=case.uuid)]


def _clinical(case, events):
    return {"results": _results_summary(case)}, _result_links(case)


def _preop_assessment(case, events):
    decisions = [{"from": (e.payload or {}).get("from", ""), "to": (e.payload or {}).get("to", ""),
                  "note": (e.payload or {}).get("note", ""), "by": e.actor_name, "at": e.occurred_at}
                 for e in events if e.type == "cases.case.preop_assessment_recorded"]
    flagged = _last(events, "clinical.findings.flagged")
    facts = {
        "status": case.preop_assessment_status, "decisions": decisions,
        "high_risk": (flagged.payload or {}).get("high_risk") if flagged else None,
        "findings": (flagged.payload or {}).get("flags", []) if flagged else [],
        "results": _results_summary(case),
    }
    return facts, [*_result_links(case),
                   _link("doctor_assessment", _("Doctor assessment"), "doctor-case-assessment", uuid=case.uuid),
                   _link("findings", _("High-risk findings"), "doctor-case-findings", uuid=case.uuid)]


def _anaesthesia(case, events):
    from anaesthesia.models import AnaesthesiaAssessment

    assessments = AnaesthesiaAssessment.objects.filter(case=case).select_related("concluded_by").order_by("id")
    facts = {
        "status": case.anaesthesia_clinic_status,
        "assessments": [{"uuid": str(a.uuid), "assessment_no": a.assessment_no, "status": a.status,
                         "concluded_at": a.concluded_at,
                         "concluded_by": a.concluded_by.name if a.concluded_by_id else ""} for a in assessments],
    }
    links = [_link("anaesthesia_report", _("Anaesthesia clinic report"), "case-anaesthesia-report", uuid=case.uuid)]
    links += [_link("anaesthesia_assessment", a["assessment_no"] or _("Anaesthesia assessment"),
                    "anaesthesia-assessment-detail", uuid=a["uuid"]) for a in facts["assessments"]]
    return facts, links


def _theatre(case, events):
    submitted = _last(events, "scheduling.application.submitted")
    failed = _last(events, "scheduling.application.failed")
    facts = {
        "theatre_schedule_status": case.theatre_schedule_status, "application_sent_at": case.application_sent_at,
        "application_no": (submitted.payload or {}).get("application_no", "") if submitted else "",
        "last_error": (failed.payload or {}).get("error", "") if failed else "",
        "theatre_scheduled_at": case.theatre_scheduled_at, "scheduled_start": case.scheduled_start,
        "theatre_room": case.theatre_room.name if case.theatre_room_id else "",
        "theatre_sequence": case.theatre_sequence,
    }
    return facts, []


def _admission(case, events):
    registered = _last(events, "stay.admission.registered")
    data = (registered.payload or {}) if registered else {}
    facts = {"admitted_at": case.admitted_at, "admission_no": data.get("admission_no", ""),
             "bed_no": data.get("bed_no", ""), "his_visit_no": data.get("his_visit_no", "")}
    return facts, [_link("stay", _("Stay record"), "stay-record", uuid=case.uuid)]


def _operation(case, events):
    facts = {"theatre_in_at": case.theatre_in_at, "incision_start_at": case.incision_start_at,
             "incision_end_at": case.incision_end_at, "theatre_out_at": case.theatre_out_at,
             "operated_at": case.operated_at,
             "theatre_times": [(e.payload or {}) for e in events if e.type == "stay.theatre_time.recorded"]}
    return facts, [_link("theatre_times", _("Theatre times"), "stay-theatre-times", uuid=case.uuid)]


def _discharge(case, events):
    assessment = _last(events, "stay.discharge_assessment.recorded")
    instructions = _last(events, "stay.discharge.instructions_given")
    facts = {
        "discharged_at": case.discharged_at,
        "assessment": (assessment.payload or {}) if assessment else None,
        "assessed_at": assessment.occurred_at if assessment else None,
        "instructions_given_at": instructions.occurred_at if instructions else None,
        "education_read": [{"title": (e.payload or {}).get("title", ""), "read_at": e.occurred_at}
                           for e in events if e.type == "education.material.read"],
    }
    return facts, [_link("discharge_assessments", _("Discharge assessments"), "stay-discharge-assessments",
                         uuid=case.uuid),
                   _link("stay", _("Stay record"), "stay-record", uuid=case.uuid)]


def _follow_up(case, events):
    return {"discharged_at": case.discharged_at, "follow_up_started_at": case.follow_up_started_at,
            "closed_at": case.closed_at}, []


BUILDERS = {
    DetailKind.BOOKING: _booking,
    DetailKind.MESSAGES: _messages,
    DetailKind.EDUCATION: _education,
    DetailKind.CLINICAL_RESULTS: _clinical,
    DetailKind.PREOP_ASSESSMENT: _preop_assessment,
    DetailKind.ANAESTHESIA: _anaesthesia,
    DetailKind.THEATRE_SCHEDULE: _theatre,
    DetailKind.ADMISSION: _admission,
    DetailKind.OPERATION: _operation,
    DetailKind.DISCHARGE: _discharge,
    DetailKind.FOLLOW_UP: _follow_up,
}


# Clinical content: shown only to holders of clinical.view_results (as on the results endpoints themselves).
RESULT_FACTS = ("results", "findings", "high_risk")
RESULT_LINKS = ("lab_results", "exam_reports", "findings")
RESULT_EVENTS = ("clinical.findings.flagged",)


def node_detail(case, definition, *, actor) -> dict:
    """{kind, facts, links, events} for one node of one case, as `actor` (staff, already authorised) may see it."""
    from accounts.permissions import has_permission
    from clinical.permissions import VIEW_RESULTS

    events = [e for e in CaseEvent.objects.filter(case=case).order_by("sequence")
              if any(trigger_fires(getattr(definition, t), e.type, event_payload(e)) for t in TRIGGERS)]
    builder = BUILDERS.get(definition.detail_kind)
    facts, links = builder(case, events) if builder else ({}, [])
    if not has_permission(actor, VIEW_RESULTS.slug):
        facts = {k: v for k, v in facts.items() if k not in RESULT_FACTS}
        links = [link for link in links if link and link["rel"] not in RESULT_LINKS]
        events = [e for e in events if e.type not in RESULT_EVENTS]
    return {
        "kind": definition.detail_kind,
        "facts": facts,
        "links": [link for link in links if link],
        "events": [_event_row(e) for e in events],
    }
