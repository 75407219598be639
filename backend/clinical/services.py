"""Writes of the clinical context: fetching a visit's LIS and PACS/ECG reports into the local store (A3–A5)."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from cases.models import Patient
from clinical.arrows import arrow_for, effective_flag, parse_numeric
from clinical.models import ExamKind, ExamReport, LabReport, LabResult
from core.errors import ExternalServiceError, InvalidInput
from core.outbox import outbox_publish

logger = logging.getLogger(__name__)

RESULTS_FETCHED = "clinical.results.fetched"


def _clip(value, length):
    return (value or "")[:length]


def _store_lab_report(*, patient, report, now) -> bool:
    """Upsert one LIS report and its items; False when the report number belongs to another patient."""
    row = LabReport.objects.select_for_update().filter(report_no=report.report_no).first()
    if row is not None and row.patient_id != patient.pk:
        # The LIS reused a report number for someone else: never move a report between patients.
        logger.error("LIS report %s already belongs to another patient; not stored", report.report_no)
        return False
    fields = {"patient": patient, "visit_no": report.visit_no, "panel_code": _clip(report.panel_code, 40),
              "name": _clip(report.name, 100) or report.report_no, "issued_at": report.issued_at, "fetched_at": now}
    if row is None:
        row = LabReport.objects.create(report_no=report.report_no, **fields)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    existing = {r.code: r for r in row.results.all()}
    for position, item in enumerate(report.results):
        numeric = item.numeric_value if item.numeric_value is not None else parse_numeric(item.value)
        flag = effective_flag(item.flag, numeric, item.ref_low, item.ref_high)
        values = {"position": position, "name": _clip(item.name, 100), "value": _clip(item.value, 100),
                  "numeric_value": numeric, "unit": _clip(item.unit, 40), "ref_low": item.ref_low,
                  "ref_high": item.ref_high, "ref_text": _clip(item.ref_text, 100), "flag": flag,
                  "arrow": arrow_for(flag, numeric)}
        result = existing.get(item.code)
        if result is None:
            LabResult.objects.create(report=row, code=_clip(item.code, 40), **values)
        elif any(getattr(result, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(result, name, value)
            result.save()
    return True


def _store_exam_report(*, patient, report, now) -> bool:
    row = ExamReport.objects.select_for_update().filter(report_no=report.report_no).first()
    if row is not None and row.patient_id != patient.pk:
        logger.error("PACS report %s already belongs to another patient; not stored", report.report_no)
        return False
    kind = report.kind if report.kind in ExamKind.values else ExamKind.EXAM
    fields = {"patient": patient, "visit_no": report.visit_no, "kind": kind, "code": _clip(report.code, 40),
              "name": _clip(report.name, 100) or report.report_no, "findings": report.findings or "",
              "conclusion": report.conclusion or "", "abnormal": report.abnormal, "issued_at": report.issued_at,
              "fetched_at": now}
    if row is None:
        ExamReport.objects.create(report_no=report.report_no, **fields)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    return True


@transaction.atomic
def _store(*, patient, visit_no, kind, reports, actor) -> dict:
    # One writer per patient at a time: two fetches of the same visit must not both insert a report.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    now = timezone.now()
    store = _store_lab_report if kind == "labs" else _store_exam_report
    mine = [r for r in reports if r.visit_no == visit_no]  # an adapter that ignores the visit filter
    stored = sum(1 for r in mine if store(patient=patient, report=r, now=now))
    audit_record(actor=actor, action=AuditAction.UPDATE, target=patient, system=actor is None,
                 detail=f"fetched {stored} {kind} report(s) of visit {visit_no}")
    outbox_publish(topic=RESULTS_FETCHED, key=str(patient.uuid),
                   payload={"patient": str(patient.uuid), "visit_no": visit_no, "kind": kind, "count": stored,
                            "conflicts": len(mine) - stored})
    return {"stored": stored, "conflicts": len(mine) - stored}


def clinical_results_fetch(*, patient, visit_no: str, actor) -> dict:
    """Pull this visit's LIS and PACS/ECG reports into the local store (idempotent upsert).

    Each system is stored in its own transaction as soon as it answered: when the PACS is down the labs are
    still stored (and earlier fetches stay readable), then ExternalServiceError is raised for the failure.
    Returns {"labs": n, "exams": n, "conflicts": n} (conflicts: report numbers the hospital system reused for
    another patient, refused and logged)."""
    from integrations.registry import get_port

    visit_no = (visit_no or "").strip()
    if not visit_no:
        raise InvalidInput(fields={"visit_no": [_("A visit number is required to fetch results.")]})
    reg_no = patient.reg_no
    if not reg_no:
        raise InvalidInput(fields={"patient": [_("The patient has no registration number in the hospital system.")]})
    counts = {"labs": 0, "exams": 0, "conflicts": 0}
    failure = None
    for kind, fetch in (("labs", lambda: get_port("lis").list_reports(reg_no, visit_no=visit_no)),
                        ("exams", lambda: get_port("pacs").list_reports(reg_no, visit_no=visit_no))):
        try:
            reports = fetch()
        except ExternalServiceError as exc:
            failure = failure or exc
            continue
        outcome = _store(patient=patient, visit_no=visit_no, kind=kind, reports=reports, actor=actor)
        counts[kind] = outcome["stored"]
        counts["conflicts"] += outcome["conflicts"]
    if failure is not None:
        failure.extra = {**failure.extra, "stored": counts}
        raise failure
    return counts
