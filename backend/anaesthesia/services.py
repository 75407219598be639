"""Writes of the anaesthesia clinic (A1–A12): start, draft saves, autofill and citations from LIS/PACS, risk
evaluation with recommendations, and the conclusion that drives the pathway.

Every write: keyword-only arguments, an explicit actor, one transaction, the assessment row locked and its
`version` bumped (optimistic locking for concurrent editors), an audit entry in the same transaction.
"""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from anaesthesia import form, validation
from anaesthesia.conf import conf
from anaesthesia.errors import (
    AssessmentConcluded,
    AssessmentVersionConflict,
    EvaluationRequired,
    EvaluationStale,
    SubjectNotAssessable,
)
from anaesthesia.models import (
    GENERAL_ANAESTHESIA_PLANS,
    AnaesthesiaAssessment,
    AssessmentCitation,
    AssessmentStatus,
    CitationKind,
    MappingKind,
    ProcedureKind,
    ResultMappingRule,
    SedationAppointmentStatus,
)
from anaesthesia.permissions import ASSESS, require_own_hospital
from anaesthesia.selectors import effective_mapping_rules, procedure_type_of
from audit.models import AuditAction
from audit.services import audit_record
from cases.models import AnaesthesiaClinicStatus, CaseState, Sex, SurgicalCase
from core.errors import ExternalServiceError, InvalidInput, NotAllowed, NotFound
from core.outbox import outbox_publish
from core.serialization import to_jsonable
from org.scoping import ward_scope_for

CONCLUDED_TOPIC = "anaesthesia.assessment.concluded"
ASSESSABLE_CASE_STATES = frozenset({
    CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED,
})
TERMINABLE_CASE_STATES = frozenset({CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED})
SEX_LABELS = {Sex.MALE: "男", Sex.FEMALE: "女", Sex.UNKNOWN: "未知"}


def _require_assessor(actor, ward_id):
    """Ward scope first (another ward's assessment does not exist for the actor), then the permission."""
    if not ward_scope_for(actor).allows_ward(ward_id):
        raise NotFound()
    if not has_permission(actor, ASSESS.slug):
        raise NotAllowed()


def _lock(assessment, *, actor, expected_version=None, open_only=True) -> AnaesthesiaAssessment:
    locked = (
        AnaesthesiaAssessment.objects.select_for_update(of=("self",))
        .select_related("ward__department__hospital", "patient", "case", "case__procedure", "sedation_appointment")
        .get(pk=assessment.pk)
    )
    _require_assessor(actor, locked.ward_id)
    if open_only and locked.status != AssessmentStatus.IN_PROGRESS:
        raise AssessmentConcluded(extra={"status": locked.status})
    if expected_version is not None and locked.version != expected_version:
        raise AssessmentVersionConflict(extra={"version": locked.version})
    return locked


def _save(locked, *fields):
    locked.version += 1
    locked.save(update_fields=[*fields, "version", "updated_at"])


def _sync(assessment, locked):
    if assessment is not locked:
        assessment.refresh_from_db()


# --- general information (A2) ------------------------------------------------------------------------------------


def age_on(birth_date, day) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def general_info(*, case=None, appointment=None) -> dict:
    """The general information of the HIS record, as the case or the appointment carries it."""
    if case is not None:
        patient, day = case.patient, case.planned_date
        info = {
            "visit_no": case.visit_no, "diagnosis": case.diagnosis_name, "diagnosis_code": case.diagnosis_code,
            "procedure": case.procedure_name, "procedure_code": case.procedure_code, "surgeon": case.surgeon.name,
            "department": case.department.name, "requested_anaesthesia": case.anaesthesia_method,
        }
    else:
        patient = appointment.patient
        day = timezone.localdate(appointment.scheduled_at) if appointment.scheduled_at else None
        info = {
            "visit_no": appointment.visit_no, "diagnosis": "", "diagnosis_code": "",
            "procedure": appointment.exam_name, "procedure_code": appointment.exam_code,
            "surgeon": appointment.ordering_doctor_name, "department": "", "requested_anaesthesia": "sedation",
            "appointment_no": appointment.appointment_no, "location": appointment.location,
        }
    reference_day = day or timezone.localdate()
    return to_jsonable({
        "name": patient.name, "sex": patient.sex, "sex_label": SEX_LABELS.get(patient.sex, ""),
        "birth_date": patient.birth_date, "age": age_on(patient.birth_date, reference_day),
        "reg_no": patient.reg_no, "planned_date": day, **info,
    })


# --- start -------------------------------------------------------------------------------------------------------


def _open_assessment(*, case=None, appointment=None):
    qs = AnaesthesiaAssessment.objects.filter(status=AssessmentStatus.IN_PROGRESS)
    return (qs.filter(case=case) if case is not None else qs.filter(sedation_appointment=appointment)).first()


def assessment_start(*, actor, case=None, sedation_appointment=None) -> tuple[AnaesthesiaAssessment, bool]:
    """Start the clinic assessment of a case or a sedation appointment, or return the open one (created?)."""
    if (case is None) == (sedation_appointment is None):
        raise InvalidInput(fields={"case": [_("Give either a case or a sedation appointment.")]})
    subject = case or sedation_appointment
    _require_assessor(actor, subject.ward_id)
    existing = _open_assessment(case=case, appointment=sedation_appointment)
    if existing is not None:
        return existing, False
    if case is not None:
        if case.state not in ASSESSABLE_CASE_STATES or case.anaesthesia_clinic_status != AnaesthesiaClinicStatus.PENDING:
            raise SubjectNotAssessable(extra={"state": case.state, "clinic": case.anaesthesia_clinic_status})
    elif sedation_appointment.status != SedationAppointmentStatus.BOOKED or AnaesthesiaAssessment.objects.filter(
        sedation_appointment=sedation_appointment, status__in=(AssessmentStatus.PASSED, AssessmentStatus.FAILED)
    ).exists():
        raise SubjectNotAssessable(extra={"status": sedation_appointment.status})
    try:
        with transaction.atomic():
            assessment = _create(actor=actor, case=case, appointment=sedation_appointment)
    except IntegrityError:
        # Two anaesthetists opened it at the same moment: the other one's assessment is the open one.
        existing = _open_assessment(case=case, appointment=sedation_appointment)
        if existing is None:
            raise
        return existing, False
    return assessment, True


def _create(*, actor, case, appointment):
    subject = case or appointment
    assessment = AnaesthesiaAssessment.objects.create(
        ward_id=subject.ward_id, patient_id=subject.patient_id, case=case, sedation_appointment=appointment,
        procedure_kind=ProcedureKind.DAY_SURGERY if case is not None else appointment.procedure_kind,
        anaesthetist=actor, general=general_info(case=case, appointment=appointment),
    )
    assessment.assessment_no = (
        f"{conf('ANAESTHESIA_ASSESSMENT_NO_PREFIX')}{timezone.localdate():%Y%m%d}{assessment.pk:06d}"
    )
    plan = _default_plan(case, appointment)
    if plan:
        assessment.sections = {"plan": {"anaesthesia_plan": plan}}
    assessment.save(update_fields=["assessment_no", "sections"])
    audit_record(actor=actor, action=AuditAction.CREATE, target=assessment,
                 after={"case": case and case.uuid, "sedation_appointment": appointment and appointment.uuid})
    return assessment


# The booking anaesthesia method read as a plan (also by consent.services when an assessment has no plan).
METHOD_TO_PLAN = {"general": "general_lma", "spinal": "neuraxial", "nerve_block": "nerve_block",
                   "sedation": "mac_sedation", "local": "local_monitored"}


def _default_plan(case, appointment):
    """A starting point the anaesthetist changes: the booked anaesthesia method, sedation for endoscopy."""
    if appointment is not None:
        return "mac_sedation"
    return METHOD_TO_PLAN.get(case.anaesthesia_method, "")


# --- draft saves (A2, A7) ----------------------------------------------------------------------------------------

RECOMMENDATION_KEYS = ("monitoring", "drugs", "seniority", "equipment", "advice")


def clean_recommendations(data) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput(fields={"recommendations": [_("Expected an object.")]})
    errors, cleaned = {}, {}
    for key in data:
        if key not in RECOMMENDATION_KEYS:
            errors[f"recommendations.{key}"] = [_("Unknown field.")]
    for key in ("monitoring", "drugs", "equipment", "advice"):
        items = data.get(key, [])
        # NUL characters cannot be stored by PostgreSQL (text or jsonb): refused like any malformed text.
        if not isinstance(items, list) or len(items) > 30 or not all(
                isinstance(x, str) and 0 < len(x.strip()) <= 300 and "\x00" not in x for x in items):
            errors[f"recommendations.{key}"] = [_("Give a list of up to 30 non-empty texts of at most 300 characters.")]
        else:
            cleaned[key] = [x.strip() for x in items]
    seniority = data.get("seniority", "")
    from anaesthesia.selectors import SENIORITY_LABELS

    if seniority not in ("", *SENIORITY_LABELS):
        errors["recommendations.seniority"] = [_("Unknown seniority.")]
    else:
        cleaned["seniority"] = seniority
        cleaned["seniority_label"] = SENIORITY_LABELS.get(seniority, "")
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


@transaction.atomic
def assessment_update(*, assessment, actor, expected_version, sections=None, recommendations=None,
                      reset_recommendations=False, opinion=None) -> AnaesthesiaAssessment:
    """A draft save: partial sections (validated per field; null clears), recommendations, opinion."""
    changes = validation.clean_sections(sections) if sections is not None else {}
    cleaned_recs = clean_recommendations(recommendations) if recommendations is not None else None
    if opinion is not None and (not isinstance(opinion, str) or len(opinion) > 2000):
        raise InvalidInput(fields={"opinion": [_("Ensure this field has no more than 2000 characters.")]})
    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    before = {"sections": locked.sections, "recommendations": locked.recommendations, "opinion": locked.opinion}
    fields = []
    if changes:
        locked.sections = validation.merge_sections(locked.sections, changes)
        # A value typed by hand no longer comes from the cited result.
        touched = {f"{s}.{k}" for s, values in changes.items() for k in values}
        locked.sources = {k: v for k, v in locked.sources.items() if k not in touched}
        fields += ["sections", "sources"]
    if reset_recommendations:
        locked.recommendations = dict(locked.recommendations_suggested)
        locked.recommendations_edited = False
        fields += ["recommendations", "recommendations_edited"]
    elif cleaned_recs is not None:
        locked.recommendations = cleaned_recs
        locked.recommendations_edited = cleaned_recs != locked.recommendations_suggested
        fields += ["recommendations", "recommendations_edited"]
    if opinion is not None:
        locked.opinion = opinion.strip()
        fields.append("opinion")
    if locked.anaesthetist_id is None:
        locked.anaesthetist = actor
        fields.append("anaesthetist")
    _save(locked, *fields)
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before=before,
                 after={"sections": locked.sections, "recommendations": locked.recommendations,
                        "opinion": locked.opinion}, detail="assessment draft saved")
    _sync(assessment, locked)
    return locked


# --- autofill and citations from LIS / PACS (A3, A4, A5) --------------------------------------------------------


def _ref_text(result) -> str:
    if result.ref_text:
        return result.ref_text
    low, high = result.ref_low, result.ref_high
    if low is not None and high is not None:
        return f"{_plain(low)}–{_plain(high)}"
    if low is not None:
        return f"≥{_plain(low)}"
    if high is not None:
        return f"≤{_plain(high)}"
    return ""


def _plain(value) -> str:
    text = format(value, "f") if not isinstance(value, float) else repr(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def lab_snapshot(result) -> dict:
    return to_jsonable({
        "kind": CitationKind.LAB, "result": result.uuid, "code": result.code, "name": result.name,
        "value": result.value, "numeric_value": result.numeric_value, "unit": result.unit,
        "ref": _ref_text(result), "ref_low": result.ref_low, "ref_high": result.ref_high, "flag": result.flag,
        "arrow": result.arrow, "arrow_symbol": result.arrow_symbol, "report_no": result.report.report_no,
        "report_name": result.report.name, "visit_no": result.report.visit_no, "issued_at": result.report.issued_at,
    })


def exam_snapshot(report) -> dict:
    return to_jsonable({
        "kind": CitationKind.EXAM, "result": report.uuid, "code": report.code, "name": report.name,
        "exam_kind": report.kind, "findings": report.findings, "conclusion": report.conclusion,
        "abnormal": report.abnormal, "report_no": report.report_no, "visit_no": report.visit_no,
        "issued_at": report.issued_at,
    })


def _unit_key(unit: str) -> str:
    return (unit or "").strip().replace("µ", "u").replace("μ", "u").replace(" ", "").lower()


LAB_TARGETS = {f"labs.{f.key}": f for f in form.SECTION_BY_KEY["labs"].fields}
EXAM_TARGETS = {f"systems.{key}": label for key, label, _note in form.SYSTEMS}


def _lab_value(rule, result):
    """The converted value for the rule's field, or (None, reason) when it cannot be used safely."""
    if result.numeric_value is None:
        return None, "not_numeric"
    if rule.source_unit and _unit_key(rule.source_unit) != _unit_key(result.unit):
        return None, "unit_mismatch"
    f = LAB_TARGETS[rule.target]
    value = round(float(result.numeric_value) * float(rule.factor), max(f.decimals, 2))
    if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
        return None, "out_of_range"
    return value, ""


def _visit_no(assessment) -> str:
    return (assessment.case.visit_no if assessment.case_id else assessment.sedation_appointment.visit_no) or ""


def assessment_autofill(*, assessment, actor, expected_version=None, overwrite=False, fetch=True) -> dict:
    """Fetch this visit's LIS/PACS results (H3's clinical store) and fill the mapped fields (A3, A5).

    A value typed by hand is kept unless `overwrite`; every filled value records the result it came from.
    Returns {"filled": [...], "kept": [...], "skipped": [...], "fetch": {...}}.
    """
    from clinical.selectors import exam_reports_search, lab_results_search
    from clinical.services import clinical_results_fetch

    _require_assessor(actor, assessment.ward_id)
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        raise AssessmentConcluded(extra={"status": assessment.status})
    visit_no = _visit_no(assessment)
    if not visit_no:
        raise InvalidInput(_("The case has no HIS visit number, so there are no results of this visit."),
                           code="visit_unknown", fields={"visit_no": [_("The visit number is unknown.")]})
    fetched = {}
    if fetch:
        try:
            fetched = clinical_results_fetch(patient=assessment.patient, visit_no=visit_no, actor=actor)
        except ExternalServiceError as exc:
            # The LIS or PACS is down: fill from what was fetched before and say so; the anaesthetist may retry.
            fetched = {"error": exc.code, "message": str(exc.message)}
    hospital = assessment.ward.department.hospital
    lab_rules = effective_mapping_rules(hospital, MappingKind.LAB)
    exam_rules = effective_mapping_rules(hospital, MappingKind.EXAM)
    # Newest first, so the first result seen for a code is the one used.
    labs = lab_results_search(patient=assessment.patient, visit_no=visit_no).select_related("report")
    labs = sorted(labs, key=lambda r: (r.report.issued_at or timezone.now(), r.pk), reverse=True)
    exams = sorted(exam_reports_search(patient=assessment.patient, visit_no=visit_no),
                   key=lambda r: (r.issued_at or timezone.now(), r.pk), reverse=True)
    proposals, skipped = {}, []
    for result in labs:
        rule = lab_rules.get(result.code)
        if rule is None or rule.target not in LAB_TARGETS or rule.target in proposals:
            continue
        value, reason = _lab_value(rule, result)
        if value is None:
            skipped.append({"field": rule.target, "result": str(result.uuid), "reason": reason})
            continue
        proposals[rule.target] = (value, {**lab_snapshot(result), "value": value if rule.factor != 1 else
                                          result.value, "unit": LAB_TARGETS[rule.target].unit if rule.factor != 1
                                          else result.unit, "rule": str(rule.uuid)})
    for report in exams:
        rule = exam_rules.get(report.code)
        if rule is None or rule.target not in EXAM_TARGETS or rule.target in proposals:
            continue
        if report.abnormal is None:
            skipped.append({"field": rule.target, "result": str(report.uuid), "reason": "abnormal_unknown"})
            continue
        finding = {"status": "abnormal" if report.abnormal else "normal",
                   "text": f"{report.name}：{report.conclusion}"[:500]}
        proposals[rule.target] = (finding, {**exam_snapshot(report), "rule": str(rule.uuid)})
    return _apply_autofill(assessment=assessment, actor=actor, expected_version=expected_version,
                           proposals=proposals, skipped=skipped, overwrite=overwrite, fetched=fetched)


@transaction.atomic
def _apply_autofill(*, assessment, actor, expected_version, proposals, skipped, overwrite, fetched):
    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    sections = {k: dict(v) for k, v in locked.sections.items()}
    sources = dict(locked.sources)
    filled, kept = [], []
    for path, (value, source) in sorted(proposals.items()):
        section, key = path.split(".", 1)
        current = (sections.get(section) or {}).get(key)
        typed_by_hand = current is not None and path not in sources
        if typed_by_hand and not overwrite and current != value:
            kept.append({"field": path, "value": current, "suggested": value, "result": source["result"]})
            continue
        sections.setdefault(section, {})[key] = value
        sources[path] = source
        filled.append({"field": path, "value": value, "result": source["result"]})
    before = {"sections": locked.sections}
    locked.sections, locked.sources = sections, sources
    locked.general = {**locked.general, **general_info(case=locked.case, appointment=locked.sedation_appointment)}
    _save(locked, "sections", "sources", "general")
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before=before,
                 after={"sections": locked.sections}, detail="autofill from LIS/PACS")
    _sync(assessment, locked)
    return {"filled": filled, "kept": kept, "skipped": skipped, "fetch": fetched, "version": locked.version}


@transaction.atomic
def citation_add(*, assessment, actor, kind, result_uuid, note="", expected_version=None) -> AssessmentCitation:
    """Cite one lab result or exam report of the patient into the assessment, with a snapshot (A3, A5)."""
    from clinical.selectors import exam_reports_search, lab_result_get

    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    if kind == CitationKind.LAB:
        result = lab_result_get(patient=locked.patient, uuid=result_uuid)
        snapshot = lab_snapshot(result) if result is not None else None
    elif kind == CitationKind.EXAM:
        result = exam_reports_search(patient=locked.patient).filter(uuid=result_uuid).first()
        snapshot = exam_snapshot(result) if result is not None else None
    else:
        raise InvalidInput(fields={"kind": [_("Unknown kind.")]})
    if snapshot is None:
        # Another patient's result is as unknown as a missing one.
        raise InvalidInput(fields={"result": [_("No such result of this patient.")]})
    citation, created = AssessmentCitation.objects.get_or_create(
        assessment=locked, kind=kind, source_uuid=result_uuid,
        defaults={"snapshot": snapshot, "note": note, "cited_by": actor},
    )
    if created:
        _save(locked)
        audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, after={"cited": snapshot},
                     detail=f"cited {kind} result")
    _sync(assessment, locked)
    return citation


@transaction.atomic
def citation_remove(*, assessment, actor, citation_uuid, expected_version=None):
    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    citation = AssessmentCitation.objects.filter(assessment=locked, uuid=citation_uuid).first()
    if citation is None:
        raise NotFound()
    snapshot = citation.snapshot
    citation.delete()
    _save(locked)
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before={"cited": snapshot},
                 detail="citation removed")
    _sync(assessment, locked)


# --- risk evaluation (A1, A6, A7) --------------------------------------------------------------------------------


def engine_inputs(assessment) -> dict:
    """The canonical risk-engine inputs of the assessment as it stands (interface 1)."""
    sections = assessment.sections or {}
    general = assessment.general or {}
    procedure_type = procedure_type_of(assessment)
    inputs = {}
    if assessment.case_id and assessment.case.procedure_id:
        from risk.selectors import procedure_risk_inputs

        inputs.update(procedure_risk_inputs(assessment.case.procedure))
    else:
        # A sedated endoscopy from the medical-technology system has no catalogue procedure: its kind defines
        # the procedure items (not a high-risk surgery, minor, sedation), so SORT and the others can score it.
        from risk.selectors import endoscopy_risk_inputs

        inputs.update(endoscopy_risk_inputs(procedure_type))
    inputs["procedure_type"] = procedure_type
    if assessment.case_id and assessment.case.expected_duration_minutes and "expected_duration_minutes" not in inputs:
        inputs["expected_duration_minutes"] = assessment.case.expected_duration_minutes
    if general.get("age") is not None:
        inputs["age"] = general["age"]
    if general.get("sex") in ("M", "F"):
        inputs["sex"] = general["sex"]
    for section_key, key in form.ENGINE_FIELDS:
        f = next(f for f in form.SECTION_BY_KEY[section_key].fields if f.key == key)
        if not form.applies(f, procedure_type):
            continue
        value = (sections.get(section_key) or {}).get(key)
        if value is not None:
            inputs[key] = value
    plan = (sections.get("plan") or {}).get("anaesthesia_plan")
    if plan:
        inputs["general_anaesthesia"] = plan in GENERAL_ANAESTHESIA_PLANS
    from anaesthesia.selectors import bmi_of

    bmi = bmi_of(sections)
    if bmi is not None:
        inputs["bmi"] = bmi
    return to_jsonable(inputs)


_INPUT_PATHS = {key: f"{section}.{key}" for section, key in form.ENGINE_FIELDS}
_INPUT_PATHS.update(age="general.age", sex="general.sex", bmi="body.weight_kg")


def _input_path(name: str) -> str:
    return _INPUT_PATHS.get(name, name)


def inputs_fingerprint(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def suggested_recommendations(summary) -> dict:
    r = summary.get("recommendations") or {}
    advice = r.get("advice", [])
    return {
        "monitoring": list(r.get("monitoring", [])), "drugs": list(r.get("drugs", [])),
        "seniority": r.get("seniority", ""), "seniority_label": r.get("seniority_label_zh", ""),
        "equipment": list(r.get("equipment", [])),
        "advice": [advice] if isinstance(advice, str) and advice else list(advice or []),
    }


@transaction.atomic
def assessment_evaluate(*, assessment, actor, expected_version=None) -> AnaesthesiaAssessment:
    """Check the risk-relevant fields (A9), run every model through the risk app, keep the summary and pre-fill
    the recommendations from the knowledge base — unless the anaesthetist edited them (then the model's new
    suggestion is kept beside the edit, for them to compare)."""
    from risk.services import risk_evaluate

    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    validation.require_complete(sections=locked.sections, general=locked.general,
                                procedure_type=procedure_type_of(locked), stage=validation.EVALUATE)
    inputs = engine_inputs(locked)
    try:
        evaluation = risk_evaluate(inputs=inputs, actor=actor, hospital=locked.ward.department.hospital,
                                   patient=locked.patient, subject=f"anaesthesia-assessment:{locked.uuid}")
    except InvalidInput as exc:
        # The engine names its canonical inputs; the client knows the form's paths.
        raise InvalidInput(exc.message, code=exc.code, fields={_input_path(k): v for k, v in exc.fields.items()},
                           extra=exc.extra) from exc
    locked.evaluation_uuid = evaluation.uuid
    locked.risk_summary = to_jsonable(evaluation.summary)
    locked.evaluated_inputs = inputs
    locked.inputs_fingerprint = inputs_fingerprint(inputs)
    locked.evaluated_at = timezone.now()
    locked.recommendations_suggested = suggested_recommendations(locked.risk_summary)
    if not locked.recommendations_edited:
        locked.recommendations = dict(locked.recommendations_suggested)
    _save(locked, "evaluation_uuid", "risk_summary", "evaluated_inputs", "inputs_fingerprint", "evaluated_at",
          "recommendations_suggested", "recommendations")
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked,
                 after={"evaluation": evaluation.uuid, "disposition": locked.risk_summary.get("disposition")},
                 detail="risk evaluated")
    _sync(assessment, locked)
    return locked


def evaluation_state(assessment) -> str:
    """none / fresh / stale: whether the stored results still describe the assessment's data."""
    if not assessment.evaluation_uuid:
        return "none"
    try:
        current = inputs_fingerprint(engine_inputs(assessment))
    except Exception:  # noqa: BLE001 - a missing risk profile must not break reading the assessment
        return "stale"
    return "fresh" if current == assessment.inputs_fingerprint else "stale"


# --- the conclusion (A12) ----------------------------------------------------------------------------------------

PASS, FAIL = "pass", "fail"


@transaction.atomic
def assessment_conclude(*, assessment, actor, result, opinion, reason="", expected_version=None):
    """Pass or fail. Requires the A9 fields and a fresh evaluation; moves the case on (pass: the clinic milestone;
    fail: the case is terminated) and publishes the message whose handlers notify surgeon, patient and medtech."""
    problems = {}
    if result not in (PASS, FAIL):
        problems["result"] = [_("Choose pass or fail.")]
    if not isinstance(opinion, str) or not opinion.strip():
        problems["opinion"] = [_("Write the anaesthetist's opinion.")]
    elif len(opinion) > 2000:
        problems["opinion"] = [_("Ensure this field has no more than 2000 characters.")]
    if not isinstance(reason, str) or len(reason) > 500:
        problems["reason"] = [_("Ensure this field has no more than 500 characters.")]
    elif result == FAIL and not reason.strip():
        problems["reason"] = [_("Give the reason the patient did not pass.")]
    if problems:
        raise InvalidInput(fields=problems)
    locked = _lock(assessment, actor=actor, expected_version=expected_version)
    validation.require_complete(sections=locked.sections, general=locked.general,
                                procedure_type=procedure_type_of(locked), stage=validation.CONCLUDE)
    if not locked.evaluation_uuid:
        raise EvaluationRequired()
    if inputs_fingerprint(engine_inputs(locked)) != locked.inputs_fingerprint:
        raise EvaluationStale(extra={"evaluated_at": locked.evaluated_at})
    disposition = (locked.risk_summary or {}).get("disposition")
    if result == PASS and disposition == "not_suitable" and not reason.strip():
        # Overriding the knowledge base is the anaesthetist's right, but it is written down.
        raise InvalidInput(
            _("The risk evaluation says the procedure is not suitable; give the reason for passing."),
            code="override_reason_required", fields={"reason": [_("Give the reason for passing despite the risk.")]},
        )
    status = AssessmentStatus.PASSED if result == PASS else AssessmentStatus.FAILED
    if locked.case_id:
        _drive_case(locked, actor=actor, passed=result == PASS, opinion=opinion.strip(), reason=reason.strip())
    before = {"status": locked.status}
    locked.status = status
    locked.opinion = opinion.strip()
    locked.conclusion_reason = reason.strip()
    locked.concluded_at = timezone.now()
    locked.concluded_by = actor
    _save(locked, "status", "opinion", "conclusion_reason", "concluded_at", "concluded_by")
    outbox_publish(topic=CONCLUDED_TOPIC, key=str(locked.uuid), payload={
        "assessment": str(locked.uuid), "result": status, "case": str(locked.case.uuid) if locked.case_id else None,
        "sedation_appointment": str(locked.sedation_appointment.uuid) if locked.sedation_appointment_id else None,
        "reason": locked.conclusion_reason, "opinion": locked.opinion,
    })
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before=before,
                 after={"status": status, "reason": locked.conclusion_reason, "disposition": disposition},
                 detail="assessment concluded")
    _sync(assessment, locked)
    return locked


def _drive_case(assessment, *, actor, passed, opinion, reason):
    from cases.services import case_record_milestone, case_transition

    case = SurgicalCase.objects.get(pk=assessment.case_id)
    if passed:
        case_record_milestone(case=case, milestone="anaesthesia_clinic", status=AnaesthesiaClinicStatus.PASSED,
                              actor=actor, note=opinion[:200])
    elif case.state in TERMINABLE_CASE_STATES:
        case_transition(case=case, transition="terminate", actor=actor, reason=f"麻醉评估未通过：{reason}"[:500])
    else:
        # Not booked yet (draft / pending pool): it cannot be terminated, but it cannot go ahead either.
        case_record_milestone(case=case, milestone="anaesthesia_clinic", status=AnaesthesiaClinicStatus.FAILED,
                              actor=actor, note=reason[:200])


# --- amendment of a passed assessment --------------------------------------------------------------------------

AMENDABLE_CASE_STATES = frozenset({CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED})


@transaction.atomic
def assessment_amend(*, assessment, actor, reason, expected_version=None) -> AnaesthesiaAssessment:
    """Re-open a passed day-surgery assessment (the patient's condition changed, a result was wrong): a new
    in-progress assessment starts from a copy of the concluded one, which stays as it was; the case's clinic step
    is pending again, so the surgery application waits for the new conclusion. Before the application only: once
    it is sent, the surgeon rolls it back first. A failed assessment ended its case and cannot be re-opened."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise InvalidInput(fields={"reason": [_("Give the reason for re-opening (at most 500 characters).")]})
    locked = _lock(assessment, actor=actor, expected_version=expected_version, open_only=False)
    if locked.status != AssessmentStatus.PASSED or not locked.case_id:
        raise SubjectNotAssessable(_("Only a passed day-surgery assessment can be re-opened."),
                                   extra={"status": locked.status})
    if AnaesthesiaAssessment.objects.filter(amends=locked).exists():
        raise SubjectNotAssessable(_("This assessment has already been re-opened."))
    case = SurgicalCase.objects.get(pk=locked.case_id)
    if case.state not in AMENDABLE_CASE_STATES:
        raise SubjectNotAssessable(
            _("The surgery application has been sent; roll it back before re-opening the assessment."),
            extra={"state": case.state})
    from cases.services import case_record_milestone

    case_record_milestone(case=case, milestone="anaesthesia_clinic", status=AnaesthesiaClinicStatus.PENDING,
                          actor=actor, note=f"麻醉评估重新开启：{reason.strip()}"[:200])
    amendment = AnaesthesiaAssessment.objects.create(
        ward_id=locked.ward_id, patient_id=locked.patient_id, case=case, procedure_kind=locked.procedure_kind,
        anaesthetist=actor, general=general_info(case=case), sections=locked.sections, sources=locked.sources,
        recommendations=locked.recommendations, recommendations_suggested=locked.recommendations_suggested,
        recommendations_edited=locked.recommendations_edited, amends=locked, amendment_reason=reason.strip(),
    )
    original, depth = _original_of(locked)
    amendment.assessment_no = f"{original.assessment_no}-R{depth + 1}"[:30]
    amendment.save(update_fields=["assessment_no"])
    AssessmentCitation.objects.bulk_create([
        AssessmentCitation(assessment=amendment, kind=c.kind, source_uuid=c.source_uuid, snapshot=c.snapshot,
                           note=c.note, cited_by=c.cited_by)
        for c in AssessmentCitation.objects.filter(assessment=locked)
    ])
    audit_record(actor=actor, action=AuditAction.CREATE, target=amendment, detail="assessment re-opened",
                 after={"amends": locked.uuid, "reason": reason.strip()})
    return amendment


def _original_of(assessment) -> tuple[AnaesthesiaAssessment, int]:
    """The first conclusion of a chain of amendments, and how many amendments lead from it to `assessment`."""
    depth = 0
    while assessment.amends_id:
        depth += 1
        assessment = assessment.amends
    return assessment, depth


# --- mapping rules (A3, A5 administration) ------------------------------------------------------------------------


def _clean_rule(kind, target, factor):
    allowed = LAB_TARGETS if kind == MappingKind.LAB else EXAM_TARGETS
    if target not in allowed:
        raise InvalidInput(fields={"target": [_("This field cannot be filled by this kind of rule.")]})
    if kind == MappingKind.EXAM and factor not in (None, 1):
        raise InvalidInput(fields={"factor": [_("Exam rules have no conversion factor.")]})


@transaction.atomic
def mapping_rule_create(*, actor, kind, code, target, hospital=None, name="", source_unit="", factor=1,
                        is_enabled=True, position=0) -> ResultMappingRule:
    require_own_hospital(actor, hospital.pk if hospital is not None else None)
    _clean_rule(kind, target, factor)
    if ResultMappingRule.objects.filter(hospital=hospital, kind=kind, code=code).exists():
        raise InvalidInput(fields={"code": [_("A rule for this item already exists.")]})
    rule = ResultMappingRule.objects.create(hospital=hospital, kind=kind, code=code, target=target, name=name,
                                            source_unit=source_unit, factor=factor, is_enabled=is_enabled,
                                            position=position)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=rule, after=_rule_dict(rule), detail="mapping rule created")
    return rule


@transaction.atomic
def mapping_rule_update(*, actor, rule, **changes) -> ResultMappingRule:
    rule = ResultMappingRule.objects.select_for_update().get(pk=rule.pk)
    require_own_hospital(actor, rule.hospital_id)
    before = _rule_dict(rule)
    for key, value in changes.items():
        setattr(rule, key, value)
    _clean_rule(rule.kind, rule.target, rule.factor)
    if ResultMappingRule.objects.filter(hospital=rule.hospital, kind=rule.kind, code=rule.code).exclude(
            pk=rule.pk).exists():
        raise InvalidInput(fields={"code": [_("A rule for this item already exists.")]})
    rule.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=rule, before=before, after=_rule_dict(rule),
                 detail="mapping rule changed")
    return rule


@transaction.atomic
def mapping_rule_delete(*, actor, rule):
    require_own_hospital(actor, rule.hospital_id)
    before = _rule_dict(rule)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=rule, before=before, detail="mapping rule deleted")
    rule.delete()


def _rule_dict(rule):
    return {"hospital": rule.hospital_id, "kind": rule.kind, "code": rule.code, "name": rule.name,
            "target": rule.target, "source_unit": rule.source_unit, "factor": rule.factor,
            "is_enabled": rule.is_enabled, "position": rule.position}
