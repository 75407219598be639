"""Reads of the anaesthesia clinic. Staff reads go through org.scoping (ward scope); what a reader may see of an
assessment depends on its state (in-progress work is the anaesthetists' own, D4)."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.permissions import has_permission
from anaesthesia import form
from anaesthesia.models import (
    AnaesthesiaAssessment,
    AssessmentCitation,
    AssessmentStatus,
    CitationKind,
    MappingKind,
    ProcedureKind,
    ResultMappingRule,
    SedationAppointment,
    SedationAppointmentStatus,
)
from anaesthesia.permissions import ASSESS, VIEW_REPORT
from cases.models import AnaesthesiaClinicStatus, CaseState, SurgicalCase
from core.errors import NotFound
from core.identity import mask_phone
from org.scoping import get_scoped_or_404, scope_queryset

CONCLUDED = (AssessmentStatus.PASSED, AssessmentStatus.FAILED)
# Cases that still wait for the clinic: booked or about to be, not ended.
QUEUE_CASE_STATES = (CaseState.PENDING_POOL, CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED)


def _assessment_base():
    return AnaesthesiaAssessment.objects.select_related(
        "ward", "ward__department__hospital", "patient", "case", "case__surgeon", "case__procedure",
        "sedation_appointment", "sedation_appointment__ordering_doctor", "anaesthetist", "concluded_by",
        "amends",
    ).prefetch_related("patient__identifiers")


def visible_assessments(principal):
    """Assessments the principal may read: all of their wards' for anaesthetists, concluded ones for others."""
    qs = scope_queryset(_assessment_base(), principal)
    if has_permission(principal, ASSESS.slug):
        return qs
    if has_permission(principal, VIEW_REPORT.slug):
        return qs.filter(status__in=CONCLUDED)
    return qs.none()


def assessment_get(principal, uuid) -> AnaesthesiaAssessment:
    return get_scoped_or_404(visible_assessments(principal), principal, uuid=uuid)


def assessment_for_work(principal, uuid) -> AnaesthesiaAssessment:
    """An assessment the principal works on (anaesthetists of its ward)."""
    return get_scoped_or_404(_assessment_base(), principal, uuid=uuid)


def case_report_assessment(principal, case_uuid) -> AnaesthesiaAssessment:
    """D4: the case's latest assessment the principal may see (404 for other wards, or when none is visible)."""
    case = get_scoped_or_404(SurgicalCase.objects.all(), principal, uuid=case_uuid)
    assessment = visible_assessments(principal).filter(case=case).order_by("-concluded_at", "-id").first()
    if assessment is None:
        raise NotFound()
    return assessment


def mapping_rule_list(*, kind=None, hospital=None):
    qs = ResultMappingRule.objects.select_related("hospital")
    if kind:
        qs = qs.filter(kind=kind)
    if hospital is not None:
        qs = qs.filter(Q(hospital=hospital) | Q(hospital__isnull=True))
    return qs


def effective_mapping_rules(hospital, kind) -> dict:
    """{code: rule} of the enabled rules for `hospital`: its own rule for a code wins over the default."""
    rules = {}
    for rule in mapping_rule_list(kind=kind, hospital=hospital).filter(is_enabled=True).order_by("position", "id"):
        if rule.hospital_id is None and rule.code in rules:
            continue
        if rule.hospital_id is not None or rule.code not in rules:
            rules[rule.code] = rule
    return rules


# --- the clinic queue --------------------------------------------------------------------------------------------


def clinic_queue(principal, *, on=None, status=None) -> list[dict]:
    """Cases whose clinic step is pending and sedation appointments without a concluded assessment, in the
    principal's wards; `status`: waiting (not started) / in_progress / None for both. Sorted by date."""
    open_case = AnaesthesiaAssessment.objects.filter(case=OuterRef("pk"), status=AssessmentStatus.IN_PROGRESS)
    cases = scope_queryset(
        SurgicalCase.objects.select_related("patient", "ward", "surgeon").prefetch_related("patient__identifiers"),
        principal,
    ).filter(anaesthesia_clinic_status=AnaesthesiaClinicStatus.PENDING, state__in=QUEUE_CASE_STATES)
    open_appt = AnaesthesiaAssessment.objects.filter(
        sedation_appointment=OuterRef("pk"), status=AssessmentStatus.IN_PROGRESS
    )
    concluded_appt = AnaesthesiaAssessment.objects.filter(sedation_appointment=OuterRef("pk"), status__in=CONCLUDED)
    appointments = scope_queryset(
        SedationAppointment.objects.select_related("patient", "ward").prefetch_related("patient__identifiers"),
        principal,
    ).filter(status=SedationAppointmentStatus.BOOKED).exclude(Exists(concluded_appt))
    if on is not None:
        cases = cases.filter(planned_date=on)
        start = timezone.make_aware(datetime.combine(on, datetime.min.time()))
        appointments = appointments.filter(scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
    cases = cases.annotate(has_open=Exists(open_case))
    appointments = appointments.annotate(has_open=Exists(open_appt))
    if status == "waiting":
        cases, appointments = cases.filter(has_open=False), appointments.filter(has_open=False)
    elif status == "in_progress":
        cases, appointments = cases.filter(has_open=True), appointments.filter(has_open=True)
    cases, appointments = list(cases[:500]), list(appointments[:500])
    open_by_case, open_by_appt = {}, {}
    opened = AnaesthesiaAssessment.objects.filter(status=AssessmentStatus.IN_PROGRESS).filter(
        Q(case__in=[c.pk for c in cases if c.has_open]) | Q(sedation_appointment__in=[a.pk for a in appointments
                                                                                      if a.has_open])
    ).only("uuid", "version", "case_id", "sedation_appointment_id", "updated_at")
    for a in opened:
        (open_by_case if a.case_id else open_by_appt)[a.case_id or a.sedation_appointment_id] = a
    items = []
    for c in cases:
        items.append({
            "kind": "case", "uuid": c.uuid, "patient": c.patient, "ward": c.ward, "procedure_kind": "day_surgery",
            "procedure_name": c.procedure_name, "date": c.planned_date, "scheduled_at": None,
            "doctor_name": c.surgeon.name, "state": c.state, "assessment": open_by_case.get(c.pk),
        })
    for a in appointments:
        items.append({
            "kind": "sedation_appointment", "uuid": a.uuid, "patient": a.patient, "ward": a.ward,
            "procedure_kind": a.procedure_kind, "procedure_name": a.exam_name,
            "date": timezone.localdate(a.scheduled_at) if a.scheduled_at else None, "scheduled_at": a.scheduled_at,
            "doctor_name": a.ordering_doctor_name, "state": a.status, "assessment": open_by_appt.get(a.pk),
        })
    items.sort(key=lambda i: (i["date"] is None, i["date"] or timezone.localdate(), str(i["procedure_name"])))
    return items


# --- reading an assessment as a whole ------------------------------------------------------------------------------


def procedure_type_of(assessment) -> str:
    """The risk engine's procedure type: the sedated procedure, or the case procedure's configured type."""
    if assessment.sedation_appointment_id:
        return assessment.sedation_appointment.procedure_kind
    procedure = assessment.case.procedure if assessment.case_id else None
    if procedure is None:
        return "surgery"
    from risk.selectors import procedure_type_for

    return procedure_type_for(procedure)


def citations_of(assessment):
    return AssessmentCitation.objects.filter(assessment=assessment).select_related("cited_by").order_by("kind", "id")


def _local(dt) -> str | None:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else None


def _num(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _report_labs(assessment, citations) -> list[dict]:
    """Cited lab results first, then autofilled values not cited separately; one row per LIS result."""
    rows, seen = [], set()
    for c in citations:
        if c.kind != CitationKind.LAB:
            continue
        s = c.snapshot
        seen.add(s.get("result"))
        rows.append({"name": s.get("name", ""), "value": str(s.get("value", "")), "unit": s.get("unit", ""),
                     "ref": s.get("ref", ""), "arrow": s.get("arrow_symbol", "")})
    labels = {f.key: f for f in form.SECTION_BY_KEY["labs"].fields}
    labs = assessment.sections.get("labs") or {}
    for key, f in labels.items():
        if key not in labs:
            continue
        source = assessment.sources.get(f"labs.{key}") or {}
        if source.get("result") and source["result"] in seen:
            continue
        seen.add(source.get("result"))
        rows.append({
            "name": source.get("name") or f.label, "value": _num(source.get("value", labs[key])),
            "unit": source.get("unit", f.unit), "ref": source.get("ref", ""), "arrow": source.get("arrow_symbol", ""),
        })
    return rows


def _report_exams(assessment, citations) -> list[dict]:
    rows, seen = [], set()
    for c in citations:
        if c.kind != CitationKind.EXAM:
            continue
        s = c.snapshot
        seen.add(s.get("result"))
        rows.append({"name": s.get("name", ""), "conclusion": s.get("conclusion", ""), "abnormal": s.get("abnormal")})
    for _path, source in sorted(assessment.sources.items()):
        if source.get("kind") == MappingKind.EXAM and source.get("result") not in seen:
            seen.add(source.get("result"))
            rows.append({"name": source.get("name", ""), "conclusion": source.get("conclusion", ""),
                         "abnormal": source.get("abnormal")})
    return rows


def _choice_label(section, key, value):
    f = next((f for f in form.SECTION_BY_KEY[section].fields if f.key == key), None)
    return dict(form.field_choices(f)).get(value, str(value)) if f else str(value)


def airway_summary(sections) -> str:
    a = sections.get("airway") or {}
    if not a:
        return ""
    parts = []
    if a.get("mallampati") is not None:
        parts.append(f"Mallampati {_choice_label('airway', 'mallampati', a['mallampati'])}")
    if a.get("mouth_opening_cm") is not None:
        parts.append(f"张口度 {_num(a['mouth_opening_cm'])} cm")
    if a.get("thyromental_distance_cm") is not None:
        parts.append(f"甲颏距离 {_num(a['thyromental_distance_cm'])} cm")
    if a.get("neck_movement_deg") is not None:
        parts.append(f"颈部活动度 {a['neck_movement_deg']}°")
    if a.get("can_prognath") is not None:
        parts.append("下颌可前伸" if a["can_prognath"] else "下颌不能前伸")
    if a.get("difficult_intubation_history"):
        parts.append(f"困难插管史：{_choice_label('airway', 'difficult_intubation_history', a['difficult_intubation_history'])}")
    return "；".join(parts)


def teeth_summary(sections) -> str:
    teeth = (sections.get("teeth") or {}).get("teeth") or []
    states = dict(form.TOOTH_STATES)
    text = "；".join(f"{t['tooth']} {'、'.join(states[s] for s in t['states'])}" for t in teeth)
    note = (sections.get("teeth") or {}).get("note", "")
    return "；".join(x for x in (text, note) if x)


def eyes_summary(sections) -> str:
    eyes = (sections.get("eyes") or {}).get("eyes") or {}
    reflex, marks = dict(form.PUPIL_REFLEX), dict(form.EYE_MARKS)
    parts = []
    for side, label in (("right", "右眼"), ("left", "左眼")):
        e = eyes.get(side)
        if not e:
            continue
        bits = []
        if e.get("pupil_mm") is not None:
            bits.append(f"瞳孔 {_num(e['pupil_mm'])} mm")
        if e.get("light_reflex"):
            bits.append(f"对光反射{reflex[e['light_reflex']]}")
        bits.extend(marks[m] for m in e.get("marks", []))
        if e.get("note"):
            bits.append(e["note"])
        parts.append(f"{label}：{'，'.join(bits)}")
    return "；".join(parts)


def airway_marks_summary(sections) -> str:
    marks = (sections.get("airway_marks") or {}).get("marks") or []
    regions, kinds = dict(form.AIRWAY_REGIONS), dict(form.AIRWAY_MARK_KINDS)
    return "；".join(f"{regions[m['region']]}{kinds[m['kind']]}" + (f"（{m['note']}）" if m.get("note") else "")
                    for m in marks)


def findings_of(sections) -> list[dict]:
    rows = []
    systems = sections.get("systems") or {}
    status_label = dict(form.SYSTEM_STATUS)
    for key, label, _note in form.SYSTEMS:
        finding = systems.get(key)
        if not finding:
            continue
        text = status_label[finding["status"]]
        if finding.get("text"):
            text = f"{text}：{finding['text']}"
        rows.append({"system": label, "text": text})
    for label, text in (("气道", airway_summary(sections)), ("牙齿", teeth_summary(sections)),
                        ("眼", eyes_summary(sections)), ("气道示意标记", airway_marks_summary(sections))):
        if text:
            rows.append({"system": label, "text": text})
    return rows


VITAL_ROWS = (
    ("body", "height_cm", "身高", "cm"), ("body", "weight_kg", "体重", "kg"),
    ("vitals", "systolic_bp", "血压", "mmHg"), ("vitals", "heart_rate", "心率", "次/分"),
    ("vitals", "respiratory_rate", "呼吸", "次/分"), ("vitals", "temperature_c", "体温", "℃"),
    ("vitals", "spo2_pct", "SpO₂", "%"),
)


def vitals_of(sections) -> list[dict]:
    rows = []
    for section, key, label, unit in VITAL_ROWS:
        value = (sections.get(section) or {}).get(key)
        if value is None:
            continue
        if key == "systolic_bp":
            dia = (sections.get("vitals") or {}).get("diastolic_bp")
            text = f"{value}/{dia}" if dia is not None else str(value)
        else:
            text = _num(value)
        rows.append({"label": label, "value": text, "unit": unit})
    bmi = bmi_of(sections)
    if bmi is not None:
        rows.insert(2, {"label": "BMI", "value": f"{bmi:.1f}", "unit": "kg/m²"})
    status = sections.get("status") or {}
    if status.get("asa_class") is not None:
        asa = _choice_label("status", "asa_class", status["asa_class"]) + ("E" if status.get("emergency") else "")
        rows.append({"label": "ASA 分级", "value": asa, "unit": ""})
    return rows


def bmi_of(sections) -> float | None:
    body = sections.get("body") or {}
    if body.get("height_cm") and body.get("weight_kg"):
        return round(body["weight_kg"] / (body["height_cm"] / 100) ** 2, 1)
    return None


def _value_text(result) -> str:
    if not result:
        return ""
    if result.get("probability") is not None:
        return f"{result['probability'] * 100:.1f}%"
    if result.get("score") is not None:
        band = result.get("band_label_zh") or result.get("band") or ""
        return f"{_num(result['score'])} 分" + (f"（{band}）" if band else "")
    if result.get("kind") == "screening":
        return result.get("band_label_zh") or ""
    return ""


def risk_rows(summary) -> list[dict]:
    rows = []
    for event in (summary or {}).get("events", []):
        primary = event.get("primary") or {}
        notes = []
        if primary.get("status") and primary["status"] != "ok":
            missing = primary.get("missing_inputs") or []
            notes.append("资料不足" + (f"：缺 {'、'.join(missing)}" if missing else ""))
        if primary.get("outside_derivation") and primary.get("applicability_note"):
            notes.append(primary["applicability_note"])
        if primary.get("kind") == "screening":
            notes.append("筛查标记，非概率模型")
        rows.append({
            "event_label": event.get("label_zh", event.get("event", "")),
            "level_label": event.get("level_label_zh", ""),
            "model": " ".join(x for x in (primary.get("name_zh") or primary.get("name") or "",
                                          primary.get("version", "")) if x),
            "value_text": _value_text(primary),
            "note": "；".join(notes),
        })
    return rows


SENIORITY_LABELS = {"resident": "住院医师", "attending": "主治医师", "associate_chief": "副主任医师",
                    "chief": "主任医师"}


def recommendations_of(assessment) -> dict:
    r = assessment.recommendations or {}
    seniority = r.get("seniority", "")
    return {
        "monitoring": list(r.get("monitoring", [])), "drugs": list(r.get("drugs", [])),
        "seniority_label": r.get("seniority_label") or SENIORITY_LABELS.get(seniority, seniority),
        "equipment": list(r.get("equipment", [])), "advice": list(r.get("advice", [])),
    }


def _subject_fields(assessment):
    g = assessment.general or {}
    kind_label = {
        ProcedureKind.DAY_SURGERY: "日间手术", ProcedureKind.GASTROSCOPY: "无痛胃镜",
        ProcedureKind.COLONOSCOPY: "无痛肠镜", ProcedureKind.BRONCHOSCOPY: "无痛支气管镜",
    }[assessment.procedure_kind]
    return g, kind_label


STATUS_LABELS = {AssessmentStatus.IN_PROGRESS: "评估中", AssessmentStatus.PASSED: "通过",
                 AssessmentStatus.FAILED: "未通过"}


def assessment_report_data(assessment) -> dict:
    """The report as data (interface 5): what H5's renderer prints and what D4 readers get as JSON."""
    g, kind_label = _subject_fields(assessment)
    sections = assessment.sections or {}
    citations = list(citations_of(assessment))
    plan = sections.get("plan") or {}
    plan_label = form.plan_label(plan.get("anaesthesia_plan"))
    if plan.get("plan_note"):
        plan_label = f"{plan_label}（{plan['plan_note']}）" if plan_label else plan["plan_note"]
    summary = assessment.risk_summary or {}
    hospital = assessment.ward.department.hospital
    return {
        "hospital_name": hospital.name,
        "title": "麻醉术前评估报告",
        "assessment_no": assessment.assessment_no,
        "status": assessment.status,
        "status_label": STATUS_LABELS[assessment.status],
        "concluded_at": _local(assessment.concluded_at),
        "anaesthetist": (assessment.concluded_by or assessment.anaesthetist).name
        if (assessment.concluded_by or assessment.anaesthetist) else "",
        "patient": {
            "name": assessment.patient.name, "sex_label": g.get("sex_label", ""),
            "age": "" if g.get("age") is None else f"{g['age']}岁", "reg_no": g.get("reg_no", ""),
            "visit_no": g.get("visit_no", ""), "ward": assessment.ward.name, "diagnosis": g.get("diagnosis", ""),
            "phone_masked": mask_phone(assessment.patient.phone),
        },
        "procedure": {
            "kind_label": kind_label, "name": g.get("procedure", ""), "planned_date": g.get("planned_date") or "",
            "surgeon": g.get("surgeon", ""), "anaesthesia_plan_label": plan_label,
        },
        "vitals": vitals_of(sections),
        "labs": _report_labs(assessment, citations),
        "exams": _report_exams(assessment, citations),
        "findings": findings_of(sections),
        "risks": risk_rows(summary),
        "disposition_label": summary.get("disposition_label_zh", ""),
        "opinion": assessment.opinion,
        "recommendations": recommendations_of(assessment),
        "generated_at": _local(timezone.now()),
    }
