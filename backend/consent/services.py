"""Informed consent (A8): template administration and the consent document's life.

Templates: drafted, published (the hospital's current text for the code; the previous version retires), retired.
Editing a published version drafts the next one; every change is audited with before/after.

Documents: draft → clinician_signed → completed; any of them → voided (with a reason).
1. `consent_open` renders the hospital's published template that fits the assessment (procedure kind, then
   anaesthesia plan) into text and a PDF, stores the PDF through the object-storage port and records its SHA-256.
2. `consent_sign_clinician` re-reads the stored PDF, checks it still has that hash, has the CA sign the hash as the
   acting clinician (employee number) and verifies the answer against the trust anchor before keeping it.
3. `consent_record_patient_signature` validates the signature-pad PNG, stores it with its SHA-256, seals the
   record (a hash over the document hash, the CA signature, the image hash, the signers and the times), stores a
   signed copy PDF and appends `consent.document.completed` to the case timeline.
4. `consent_verify` recomputes everything from the stored objects and verifies the CA signature offline.

Objects are written to storage before the row that references them commits: a rolled-back transaction can leave
an unreferenced object behind, never a row pointing at nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from anaesthesia.permissions import require_own_hospital
from audit.models import AuditAction
from audit.services import audit_record
from consent import templating
from consent.documents import render_consent_document, render_signed_copy
from consent.errors import (
    ConsentAlreadyOpen,
    ConsentStateConflict,
    NoApplicableTemplate,
    StoredDocumentMismatch,
    TemplateNotEditable,
    TemplateStateConflict,
)
from consent.models import ConsentDocument, ConsentStatus, ConsentTemplate, SignerKind, TemplateStatus
from consent.signature_image import validate_signature_png
from core.errors import ExternalServiceError, InvalidInput, NotFound
from core.outbox import outbox_publish
from integrations.ca_verify import verify_signature
from integrations.registry import get_port

COMPLETED_EVENT = "consent.document.completed"
TEMPLATE_FIELDS = ("title", "body", "procedure_kinds", "anaesthesia_plans", "change_note")

PROCEDURE_KIND_LABELS = {
    "day_surgery": "日间手术", "gastroscopy": "无痛胃镜", "colonoscopy": "无痛肠镜", "bronchoscopy": "无痛支气管镜",
}
SEX_LABELS = {"M": "男", "F": "女"}
SEDATION_KINDS = {"gastroscopy", "colonoscopy", "bronchoscopy"}
METHOD_LABELS = {"general": "全身麻醉", "spinal": "椎管内麻醉", "nerve_block": "神经阻滞麻醉",
                 "sedation": "监护麻醉/静脉镇静", "local": "局部麻醉"}
PLAN_LABELS = {
    "general_lma": "全身麻醉（喉罩）", "general_ett": "全身麻醉（气管插管）", "mac_sedation": "监护麻醉/静脉镇静",
    "neuraxial": "椎管内麻醉", "nerve_block": "外周神经阻滞", "local_monitored": "局部麻醉（监护下）",
    "general_plus_block": "全身麻醉复合神经阻滞",
}
LEVEL_LABELS = {"high": "高危", "intermediate": "中危"}


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- vocabularies ----------------------------------------------------------------------------------------------


def procedure_kind_choices() -> list[str]:
    from anaesthesia.models import ProcedureKind

    return list(ProcedureKind.values)


def anaesthesia_plan_choices() -> list[str]:
    """The anaesthesia clinic's plan vocabulary (anaesthesia.models.AnaesthesiaPlan)."""
    from anaesthesia import models as anaesthesia_models

    plans = getattr(anaesthesia_models, "AnaesthesiaPlan", None)
    return list(plans.values) if plans is not None else list(PLAN_LABELS)


# --- templates -------------------------------------------------------------------------------------------------


def _snapshot(template) -> dict:
    return {"hospital": str(template.hospital.uuid), "code": template.code, "version": template.version,
            "status": template.status, "title": template.title, "body": template.body,
            "procedure_kinds": template.procedure_kinds, "anaesthesia_plans": template.anaesthesia_plans,
            "change_note": template.change_note}


def _validate_template(*, title=None, body=None, procedure_kinds=None, anaesthesia_plans=None) -> None:
    fields = {}
    if title is not None:
        if not title.strip():
            fields["title"] = [str(_("This field may not be blank."))]
        elif errors := templating.template_errors(title):
            fields["title"] = errors
    if body is not None:
        if not body.strip():
            fields["body"] = [str(_("This field may not be blank."))]
        elif errors := templating.template_errors(body):
            fields["body"] = errors
    for name, values, allowed in (("procedure_kinds", procedure_kinds, procedure_kind_choices),
                                  ("anaesthesia_plans", anaesthesia_plans, anaesthesia_plan_choices)):
        if values is None:
            continue
        if not isinstance(values, list | tuple) or any(not isinstance(v, str) for v in values):
            fields[name] = [str(_("Expected a list of codes."))]
            continue
        unknown = [v for v in values if v not in allowed()]
        if unknown:
            fields[name] = [str(_("Unknown codes: %(codes)s.") % {"codes": "、".join(unknown)})]
    if fields:
        raise InvalidInput(fields=fields)


def _audit_template(actor, template, *, before, detail):
    audit_record(actor=actor, action=AuditAction.CONFIG, target=template, before=before, after=_snapshot(template),
                 detail=detail, system=actor is None)


@transaction.atomic
def consent_template_create(*, actor, hospital, code: str, title: str, body: str, procedure_kinds=(),
                            anaesthesia_plans=(), change_note: str = "") -> ConsentTemplate:
    """A new form for the hospital, as draft version 1."""
    require_own_hospital(actor, hospital.pk)
    procedure_kinds, anaesthesia_plans = list(procedure_kinds or []), list(anaesthesia_plans or [])
    _validate_template(title=title, body=body, procedure_kinds=procedure_kinds, anaesthesia_plans=anaesthesia_plans)
    if ConsentTemplate.objects.filter(hospital=hospital, code=code).exists():
        raise InvalidInput(code="consent_template_code_taken", fields={
            "code": [str(_("The hospital already has a consent template with this code; edit it instead."))]})
    try:
        with transaction.atomic():  # two administrators creating the same code at once: one wins, one gets 400
            template = ConsentTemplate.objects.create(
                hospital=hospital, code=code, version=1, title=title.strip(), body=body,
                procedure_kinds=procedure_kinds, anaesthesia_plans=anaesthesia_plans, change_note=change_note,
                created_by=actor,
            )
    except IntegrityError:
        raise InvalidInput(code="consent_template_code_taken", fields={
            "code": [str(_("The hospital already has a consent template with this code; edit it instead."))]}) from None
    _audit_template(actor, template, before=None, detail="consent template created")
    return template


def _lock_versions(template):
    """Lock every version of the template's form: publishing and drafting are serialised per form."""
    return list(ConsentTemplate.objects.select_for_update().filter(hospital_id=template.hospital_id,
                                                                   code=template.code).order_by("version"))


@transaction.atomic
def consent_template_update(*, actor, template, **changes) -> ConsentTemplate:
    """Edit a draft in place; editing a published version drafts the next version with the changes (the
    published one stays in force until that draft is published). Returns the draft that holds the changes."""
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    require_own_hospital(actor, template.hospital_id)
    _validate_template(**{k: v for k, v in changes.items() if k != "change_note"})
    versions = _lock_versions(template)
    current = next(v for v in versions if v.pk == template.pk)
    if current.status == TemplateStatus.RETIRED:
        raise TemplateNotEditable()
    if current.status == TemplateStatus.DRAFT:
        before = _snapshot(current)
        for name, value in changes.items():
            setattr(current, name, value.strip() if name == "title" else value)
        current.save()
        _audit_template(actor, current, before=before, detail="consent template draft edited")
        return current
    pending = next((v for v in versions if v.status == TemplateStatus.DRAFT), None)
    if pending is not None:
        raise TemplateStateConflict(
            _("A draft of the next version already exists; edit that draft."), extra={"draft": str(pending.uuid)})
    values = {name: getattr(current, name) for name in TEMPLATE_FIELDS}
    values.update({k: (v.strip() if k == "title" else v) for k, v in changes.items()})
    if "change_note" not in changes:
        values["change_note"] = ""
    draft = ConsentTemplate.objects.create(hospital=current.hospital, code=current.code,
                                           version=max(v.version for v in versions) + 1, created_by=actor, **values)
    _audit_template(actor, draft, before=_snapshot(current), detail=f"consent template v{draft.version} drafted "
                                                                    f"from published v{current.version}")
    return draft


@transaction.atomic
def consent_template_publish(*, actor, template) -> ConsentTemplate:
    """Put a draft in force; the version it replaces retires."""
    require_own_hospital(actor, template.hospital_id)
    versions = _lock_versions(template)
    current = next(v for v in versions if v.pk == template.pk)
    if current.status != TemplateStatus.DRAFT:
        raise TemplateStateConflict(extra={"status": current.status})
    now = timezone.now()
    for previous in versions:
        if previous.status == TemplateStatus.PUBLISHED:
            before = _snapshot(previous)
            previous.status, previous.retired_at = TemplateStatus.RETIRED, now
            previous.save(update_fields=["status", "retired_at", "updated_at"])
            _audit_template(actor, previous, before=before, detail=f"consent template retired by v{current.version}")
    before = _snapshot(current)
    current.status, current.published_at, current.published_by = TemplateStatus.PUBLISHED, now, actor
    current.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    _audit_template(actor, current, before=before, detail="consent template published")
    return current


@transaction.atomic
def consent_template_retire(*, actor, template) -> ConsentTemplate:
    """Withdraw a published form without a successor (no new consents of this code until one is published)."""
    require_own_hospital(actor, template.hospital_id)
    versions = _lock_versions(template)
    current = next(v for v in versions if v.pk == template.pk)
    if current.status != TemplateStatus.PUBLISHED:
        raise TemplateStateConflict(extra={"status": current.status})
    before = _snapshot(current)
    current.status, current.retired_at = TemplateStatus.RETIRED, timezone.now()
    current.save(update_fields=["status", "retired_at", "updated_at"])
    _audit_template(actor, current, before=before, detail="consent template retired")
    return current


@transaction.atomic
def consent_templates_ensure_default(hospital, *, actor=None) -> int:
    """Create and publish the default forms (consent.defaults) the hospital does not have yet, by code.
    Idempotent: a code the hospital already has (in any version or state) is left alone. Returns how many."""
    from consent.defaults import DEFAULT_TEMPLATES

    require_own_hospital(actor, hospital.pk)
    created = 0
    for code, title, body, kinds, plans in DEFAULT_TEMPLATES:
        if ConsentTemplate.objects.filter(hospital=hospital, code=code).exists():
            continue
        template = consent_template_create(actor=actor, hospital=hospital, code=code, title=title, body=body,
                                           procedure_kinds=kinds, anaesthesia_plans=plans,
                                           change_note="默认模板")
        consent_template_publish(actor=actor, template=template)
        created += 1
    return created


# --- the consent context of an assessment ------------------------------------------------------------------------


def assessment_plan(assessment) -> tuple[str, str]:
    """(plan code, Chinese label) the consent describes: the anaesthetist's plan from the assessment, else the
    case's booking anaesthesia method, else sedation for an endoscopy."""
    sections = getattr(assessment, "sections", None) or {}
    plan = sections.get("plan") if isinstance(sections, dict) else None
    code = (plan.get("anaesthesia_plan") if isinstance(plan, dict) else "") or ""
    if code:
        from anaesthesia.form import plan_label  # the clinic's own wording of its plans

        return code, plan_label(code) or PLAN_LABELS.get(code, code)
    method = assessment.case.anaesthesia_method if assessment.case_id else ""
    if method:
        # The case's booking method, read as a plan the way the clinic reads it when it starts the assessment.
        from anaesthesia.services import METHOD_TO_PLAN

        return METHOD_TO_PLAN.get(method, method), METHOD_LABELS.get(method, method)
    if assessment.procedure_kind in SEDATION_KINDS:
        return "mac_sedation", PLAN_LABELS["mac_sedation"]
    return "", ""


def _age(birth_date, on: date) -> str:
    from anaesthesia.services import age_on

    years = age_on(birth_date, on)
    return "" if years is None else f"{years}岁"


def _risks_text(assessment) -> str:
    """The intermediate/high-risk events of the assessment's last evaluation (risk app summary), in words."""
    summary = getattr(assessment, "risk_summary", None) or {}
    events = summary.get("events") if isinstance(summary, dict) else None
    if not isinstance(events, list) or not events:
        return "详见麻醉术前评估"
    flagged = [f"{e.get('label_zh') or e.get('event')}（{e.get('level_label_zh') or LEVEL_LABELS[e['level']]}）"
               for e in events if isinstance(e, dict) and e.get("level") in LEVEL_LABELS]
    return "、".join(flagged) if flagged else "本次评估未提示中、高危不良事件"


def consent_context(assessment, *, actor, consent_no: str) -> dict:
    """The placeholder values (consent.templating.PLACEHOLDERS) for an assessment, as plain strings."""
    today = timezone.localdate()
    case, appointment, patient = assessment.case, assessment.sedation_appointment, assessment.patient
    general = getattr(assessment, "general", None) or {}
    if case is not None:
        procedure_name, planned = case.procedure_name, case.planned_date
        diagnosis = case.diagnosis_name
    else:
        procedure_name = appointment.exam_name if appointment else ""
        planned = timezone.localtime(appointment.scheduled_at).date() if appointment and appointment.scheduled_at \
            else None
        diagnosis = ""
    diagnosis = diagnosis or (general.get("diagnosis") if isinstance(general, dict) else "") or ""
    _code, plan_label = assessment_plan(assessment)
    anaesthetist = getattr(assessment, "anaesthetist", None) or actor
    return {
        "hospital_name": assessment.ward.department.hospital.name,
        "patient_name": patient.name,
        "sex": SEX_LABELS.get(patient.sex, "未知"),
        "age": _age(patient.birth_date, today),
        "reg_no": patient.reg_no,
        "ward": assessment.ward.name,
        "diagnosis": str(diagnosis),
        "procedure_name": procedure_name,
        "procedure_kind": PROCEDURE_KIND_LABELS.get(assessment.procedure_kind, assessment.procedure_kind),
        "planned_date": planned.strftime("%Y年%m月%d日") if planned else "",
        "anaesthesia_plan": plan_label,
        "risks": _risks_text(assessment),
        "anaesthetist": getattr(anaesthetist, "name", "") or "",
        "date": today.strftime("%Y年%m月%d日"),
        "consent_no": consent_no,
    }


def template_for_assessment(assessment, *, template_code: str = "") -> ConsentTemplate:
    """The hospital's published form for the assessment: the one naming its procedure kind and plan beats
    one that names only the kind, which beats a catch-all. `template_code` picks a published form by code."""
    hospital_id = assessment.ward.department.hospital_id
    published = ConsentTemplate.objects.filter(hospital_id=hospital_id, status=TemplateStatus.PUBLISHED)
    if template_code:
        template = published.filter(code=template_code).first()
        if template is None:
            raise InvalidInput(code="no_consent_template", fields={"template_code": [
                str(_("The hospital has no published consent template with this code."))]})
        return template
    plan, _label = assessment_plan(assessment)
    best, best_score = None, -1
    for template in published.order_by("code"):
        kinds, plans = template.procedure_kinds or [], template.anaesthesia_plans or []
        if kinds and assessment.procedure_kind not in kinds:
            continue
        if plans and plan not in plans:
            continue
        score = (2 if plans else 0) + (1 if kinds else 0)
        if score > best_score:
            best, best_score = template, score
    if best is None:
        raise NoApplicableTemplate()
    return best


# --- documents ---------------------------------------------------------------------------------------------------


def _storage():
    return get_port("storage")


def _document_key(document, name):
    return f"consents/{document.uuid}/{name}"


def _new_consent_no(document) -> str:
    return f"ZQ{timezone.localdate():%Y%m%d}{document.uuid.hex[:8].upper()}"


def _lock(document) -> ConsentDocument:
    return (ConsentDocument.objects.select_for_update(of=("self",))
            .select_related("ward__department__hospital", "patient", "case", "assessment", "template")
            .get(pk=document.pk))


def _require_status(document, *allowed):
    if document.status not in allowed:
        raise ConsentStateConflict(extra={"status": document.status})


def _audit_transition(actor, document, *, before_status, detail):
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=document, before={"status": before_status},
                 after={"status": document.status, "document_hash": document.document_hash,
                        "record_hash": document.record_hash}, detail=detail, system=actor is None)


@transaction.atomic
def consent_open(*, actor, assessment, template_code: str = "") -> ConsentDocument:
    """Open the consent for the assessment's procedure: render the template, store the PDF, record its hash."""
    from anaesthesia.models import AnaesthesiaAssessment, AssessmentStatus

    assessment = (AnaesthesiaAssessment.objects.select_for_update(of=("self",))
                  .select_related("ward__department__hospital", "patient", "case", "sedation_appointment")
                  .get(pk=assessment.pk))
    if assessment.status == AssessmentStatus.FAILED:
        raise ConsentStateConflict(_("The assessment did not pass; no consent is opened for it."),
                                   code="assessment_failed")
    template = template_for_assessment(assessment, template_code=template_code)
    existing = (ConsentDocument.objects.filter(assessment=assessment, template_code=template.code)
                .exclude(status=ConsentStatus.VOIDED).first())
    if existing is not None:
        raise ConsentAlreadyOpen(extra={"consent": str(existing.uuid)})
    document = ConsentDocument(
        ward=assessment.ward, patient=assessment.patient, case=assessment.case, assessment=assessment,
        template=template, template_code=template.code, template_version=template.version, created_by=actor,
    )
    document.consent_no = _new_consent_no(document)
    document.context = consent_context(assessment, actor=actor, consent_no=document.consent_no)
    document.title = templating.render(template.title, document.context)[:100]
    document.body_text = templating.render(template.body, document.context)
    content = render_consent_document(document)
    document.document_key = _document_key(document, "document.pdf")
    document.document_hash, document.document_size = sha256_hex(content), len(content)
    _storage().put(document.document_key, content, content_type="application/pdf")
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        raise ConsentAlreadyOpen() from None  # the assessment lock makes this a safety net only
    audit_record(actor=actor, action=AuditAction.CREATE, target=document,
                 after={"template": f"{template.code} v{template.version}", "document_hash": document.document_hash,
                        "assessment": str(assessment.uuid)}, detail="consent opened", system=actor is None)
    return document


def _stored_document_intact(document) -> bytes:
    content = _storage().get(document.document_key)
    if sha256_hex(content) != document.document_hash:
        raise StoredDocumentMismatch()
    return content


@transaction.atomic
def consent_sign_clinician(*, actor, document) -> ConsentDocument:
    """The acting clinician signs the document hash with their CA certificate."""
    document = _lock(document)
    _require_status(document, ConsentStatus.DRAFT)
    employee_no = (getattr(actor, "employee_no", "") or "").strip()
    if not employee_no:
        raise InvalidInput(_("Your account has no employee number, so the CA cannot identify you."),
                           code="signer_without_employee_no")
    _stored_document_intact(document)  # sign only what is stored
    ca = get_port("ca")
    signature = ca.sign(signer_id=employee_no, document_hash=document.document_hash,
                        idempotency_key=f"consent-{document.uuid}-clinician-{employee_no}")
    signed_at = signature.signed_at or timezone.now()
    if timezone.is_naive(signed_at):  # a CA answering local time without an offset
        signed_at = timezone.make_aware(signed_at)
    result = verify_signature(certificate_pem=signature.certificate_pem, trust_anchor_pem=ca.trust_anchor_pem(),
                              document_hash=document.document_hash, signature_value=signature.signature_value,
                              at=signed_at)
    if not result.valid or (result.signer_id and result.signer_id != employee_no):
        # Never store a signature that would not verify later: the CA answered something unusable.
        raise ExternalServiceError(_("The CA returned a signature that does not verify."),
                                   code="ca_signature_invalid", extra={"reason": result.reason})
    before = document.status
    document.clinician, document.clinician_signer_id, document.clinician_name = actor, employee_no, actor.name
    document.signature_value, document.certificate_pem = signature.signature_value, signature.certificate_pem
    document.cert_serial, document.signature_algorithm = signature.cert_serial, signature.algorithm
    document.clinician_signed_at = signed_at
    document.status = ConsentStatus.CLINICIAN_SIGNED
    document.save()
    _audit_transition(actor, document, before_status=before, detail="clinician signed (CA)")
    return document


def record_hash_of(document) -> str:
    """The seal: SHA-256 of a canonical JSON of everything that makes the signed consent what it is."""

    def instant(value):
        return value.astimezone(UTC).isoformat() if value else ""

    payload = {
        "consent": str(document.uuid), "consent_no": document.consent_no,
        "template": f"{document.template_code}:{document.template_version}",
        "document_hash": document.document_hash,
        # What the API shows beside the PDF: whose consent it is and its wording.
        "subject": {"patient": str(document.patient.uuid), "case": str(document.case.uuid) if document.case_id else "",
                    "assessment": str(document.assessment.uuid)},
        "text_hash": sha256_hex(f"{document.title}\n{document.body_text}".encode()),
        "clinician": {"signer_id": document.clinician_signer_id, "name": document.clinician_name,
                      "signature_value": document.signature_value,
                      "cert_serial": document.cert_serial, "algorithm": document.signature_algorithm,
                      "signed_at": instant(document.clinician_signed_at)},
        "patient": {"signature_hash": document.patient_signature_hash, "signer_kind": document.patient_signer_kind,
                    "signer_name": document.patient_signer_name,
                    "relationship": document.patient_signer_relationship,
                    "signed_at": instant(document.patient_signed_at)},
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return sha256_hex(canonical.encode())


def _local_time(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _validate_signer(document, signer_kind, signer_name, relationship) -> tuple[str, str, str]:
    fields = {}
    signer_name, relationship = (signer_name or "").strip(), (relationship or "").strip()
    if signer_kind not in SignerKind.values:
        fields["signer_kind"] = [str(_("Choose the patient or a guardian."))]
    elif signer_kind == SignerKind.GUARDIAN:
        if not signer_name:
            fields["signer_name"] = [str(_("Enter the guardian's name."))]
        if not relationship:
            fields["relationship"] = [str(_("Enter the guardian's relationship to the patient."))]
    else:
        signer_name, relationship = signer_name or document.patient.name, ""
    if len(signer_name) > 50:
        fields["signer_name"] = [str(_("At most 50 characters."))]
    if len(relationship) > 30:
        fields["relationship"] = [str(_("At most 30 characters."))]
    if fields:
        raise InvalidInput(fields=fields)
    return signer_kind, signer_name, relationship


@transaction.atomic
def consent_record_patient_signature(*, actor, document, image, signer_kind: str = SignerKind.PATIENT,
                                     signer_name: str = "", relationship: str = "") -> ConsentDocument:
    """Record the patient's (or guardian's) signature-pad image, seal the record and store the signed copy."""
    signer_kind, signer_name, relationship = _validate_signer(document, signer_kind, signer_name, relationship)
    signature = validate_signature_png(image)  # before the lock: decoding is the slow part
    document = _lock(document)
    _require_status(document, ConsentStatus.CLINICIAN_SIGNED)
    _stored_document_intact(document)
    storage = _storage()
    before = document.status
    document.patient_signature_key = _document_key(document, "patient-signature.png")
    storage.put(document.patient_signature_key, signature.png, content_type="image/png")
    document.patient_signature_hash = sha256_hex(signature.png)
    document.patient_signer_kind, document.patient_signer_name = signer_kind, signer_name
    document.patient_signer_relationship = relationship
    document.patient_signed_at = timezone.now()
    document.patient_signature_recorded_by = actor
    document.record_hash = record_hash_of(document)
    copy = render_signed_copy(document, signature_png=signature.png,
                              signer_kind_label=str(SignerKind(signer_kind).label), local_time=_local_time)
    document.signed_copy_key = _document_key(document, "signed-copy.pdf")
    storage.put(document.signed_copy_key, copy, content_type="application/pdf")
    document.signed_copy_hash = sha256_hex(copy)
    document.sealed_at = timezone.now()
    document.status = ConsentStatus.COMPLETED
    document.save()
    _audit_transition(actor, document, before_status=before, detail=f"patient signature recorded ({signer_kind})")
    _announce_completed(actor, document)
    return document


def _announce_completed(actor, document):
    payload = {"consent": str(document.uuid), "consent_no": document.consent_no, "title": document.title,
               "template": document.template_code, "template_version": document.template_version,
               "assessment": str(document.assessment.uuid), "record_hash": document.record_hash}
    if document.case_id:
        from cases.services import case_append_event, case_lock

        case_append_event(case_lock(document.case), type=COMPLETED_EVENT, actor=actor, payload=payload)
    else:
        outbox_publish(topic=COMPLETED_EVENT, key=str(document.uuid), payload=payload)


@transaction.atomic
def consent_void(*, actor, document, reason: str) -> ConsentDocument:
    """Void a consent (wrong form, changed procedure, consent withdrawn); it stays on record."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [str(_("Give the reason for voiding."))]})
    if len(reason) > 300:
        raise InvalidInput(fields={"reason": [str(_("At most 300 characters."))]})
    document = _lock(document)
    _require_status(document, ConsentStatus.DRAFT, ConsentStatus.CLINICIAN_SIGNED, ConsentStatus.COMPLETED)
    before = document.status
    document.voided_from_status, document.status = before, ConsentStatus.VOIDED
    document.voided_at, document.voided_by, document.void_reason = timezone.now(), actor, reason
    document.save()
    _audit_transition(actor, document, before_status=before, detail=f"voided: {reason}"[:300])
    return document


# --- verification ------------------------------------------------------------------------------------------------


def _same_serial(a: str, b: str) -> bool:
    """Serial numbers as numbers: CAs print them in upper/lower case hex, with or without colons."""
    try:
        return int(a.replace(":", ""), 16) == int(b.replace(":", ""), 16)
    except ValueError:
        return False


CHECK_LABELS = {
    "document_hash": _("Stored document matches its hash"),
    "clinician_signature": _("Clinician's CA signature"),
    "clinician_identity": _("Signer's certificate"),
    "patient_signature": _("Patient's signature image"),
    "record_hash": _("Sealed record"),
    "signed_copy": _("Signed copy"),
}


def _check(name, ok, detail) -> dict:
    return {"check": name, "label": str(CHECK_LABELS[name]), "ok": bool(ok), "detail": str(detail)}


def _hash_check(name, key, expected, *, missing_message) -> dict:
    try:
        content = _storage().get(key)
    except NotFound:
        return _check(name, False, missing_message)
    actual = sha256_hex(content)
    if actual != expected:
        return _check(name, False, _("The stored object's SHA-256 is %(actual)s; %(expected)s was recorded.")
                      % {"actual": actual, "expected": expected})
    return _check(name, True, _("SHA-256 matches: %(hash)s") % {"hash": expected})


def consent_verify(document) -> dict:
    """Recompute the consent's hashes from the stored objects and verify the CA signature against the trust
    anchor. {"valid", "status", "checks": [{"check", "ok", "detail"}]}; `valid` needs every check to pass."""
    checks = [_hash_check("document_hash", document.document_key, document.document_hash,
                          missing_message=_("The stored consent document is missing."))]
    if document.signature_value:
        ca = get_port("ca")
        result = verify_signature(certificate_pem=document.certificate_pem, trust_anchor_pem=ca.trust_anchor_pem(),
                                  document_hash=document.document_hash, signature_value=document.signature_value,
                                  at=document.clinician_signed_at or timezone.now())
        checks.append(_check("clinician_signature", result.valid,
                             f"{result.message}（{result.subject} {result.serial}）" if result.subject
                             else result.message))
        identity_ok = result.valid and result.signer_id in ("", document.clinician_signer_id) \
            and _same_serial(result.serial, document.cert_serial)
        checks.append(_check("clinician_identity", identity_ok,
                             _("Certificate of %(signer)s, serial %(serial)s.")
                             % {"signer": result.signer_id or result.subject, "serial": result.serial}))
    elif document.status in (ConsentStatus.CLINICIAN_SIGNED, ConsentStatus.COMPLETED):
        checks.append(_check("clinician_signature", False, _("The clinician's signature is missing.")))
    if document.patient_signature_key:
        checks.append(_hash_check("patient_signature", document.patient_signature_key,
                                  document.patient_signature_hash,
                                  missing_message=_("The stored signature image is missing.")))
    elif document.status == ConsentStatus.COMPLETED:
        checks.append(_check("patient_signature", False, _("The patient's signature is missing.")))
    if document.record_hash or document.status == ConsentStatus.COMPLETED:
        recomputed = record_hash_of(document)
        checks.append(_check("record_hash", recomputed == document.record_hash,
                             _("Sealed record hash %(hash)s.") % {"hash": document.record_hash}
                             if recomputed == document.record_hash
                             else _("The recorded signatures no longer match the sealed record hash.")))
    if document.signed_copy_key:
        checks.append(_hash_check("signed_copy", document.signed_copy_key, document.signed_copy_hash,
                                  missing_message=_("The stored signed copy is missing.")))
    return {"consent": str(document.uuid), "status": document.status,
            "complete": document.status == ConsentStatus.COMPLETED,
            "valid": all(c["ok"] for c in checks), "checks": checks, "verified_at": timezone.now()}


def consent_document_content(document, *, signed_copy: bool = False) -> bytes:
    """The stored PDF (the signed copy once completed, if asked)."""
    if signed_copy:
        if not document.signed_copy_key:
            raise NotFound(_("The consent has no signed copy yet."))
        return _storage().get(document.signed_copy_key)
    return _storage().get(document.document_key)
