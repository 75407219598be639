"""Writes of the clinical context: fetching a visit's LIS and PACS/ECG reports into the local store (A3–A5)."""

import logging
from decimal import Decimal, InvalidOperation

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


def _clip(value, length=None):
    """Text from a hospital system as a column holds it: NUL characters dropped (PostgreSQL cannot store them)."""
    text = (value or "").replace("\x00", "")
    return text[:length] if length else text


# numeric(14, 4): a value must round to less than 10^10. Anything else (and NaN, Infinity) is kept as text only.
_NUMERIC_LIMIT = Decimal(10) ** 10


def _storable(value):
    if value is None:
        return None
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return value if value.is_finite() and abs(value) < _NUMERIC_LIMIT else None


def _store_lab_report(*, patient, report, now) -> bool:
    """Upsert one LIS report and its items; False when the report number belongs to another patient."""
    row = LabReport.objects.select_for_update().filter(report_no=report.report_no).first()
    if row is not None and row.patient_id != patient.pk:
        # The LIS reused a report number for someone else: never move a report between patients.
        logger.error("LIS report %s already belongs to another patient; not stored", report.report_no)
        return False
    fields = {"patient": patient, "visit_no": report.visit_no, "panel_code": _clip(report.panel_code, 40),
              "name": _clip(report.name, 100) or _clip(report.report_no), "issued_at": report.issued_at,
              "fetched_at": now}
    if row is None:
        row = LabReport.objects.create(report_no=report.report_no, **fields)
    else:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    existing = {r.code: r for r in row.results.all()}
    seen = set()
    for position, item in enumerate(report.results):
        code = _clip(item.code, 40)
        if code in seen:
            # One row per item code (the code is what mapping rules and citations name): the first one is kept.
            logger.warning("LIS report %s lists item %r more than once; the first is kept", report.report_no, code)
            continue
        seen.add(code)
        numeric = _storable(item.numeric_value if item.numeric_value is not None else parse_numeric(item.value))
        low, high = _storable(item.ref_low), _storable(item.ref_high)
        flag = effective_flag(item.flag, numeric, low, high)
        values = {"position": position, "name": _clip(item.name, 100), "value": _clip(item.value, 100),
                  "numeric_value": numeric, "unit": _clip(item.unit, 40), "ref_low": low,
                  "ref_high": high, "ref_text": _clip(item.ref_text, 100), "flag": flag,
                  "arrow": arrow_for(flag, numeric)}
        result = existing.get(code)
        if result is None:
            existing[code] = LabResult.objects.create(report=row, code=code, **values)
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
              "name": _clip(report.name, 100) or _clip(report.report_no), "findings": _clip(report.findings),
              "conclusion": _clip(report.conclusion), "abnormal": report.abnormal, "issued_at": report.issued_at,
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
