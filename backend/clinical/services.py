"""Writes of the clinical context: fetching a visit's LIS and PACS/ECG reports into the local store (A3–A5)."""

import logging
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
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


# --- exam images (D3) ---------------------------------------------------------------------------------------------
# Viewable formats, recognised by their first bytes: the declared content type is not trusted (an HTML page stored
# as "image/png" and opened through a presigned URL would run in the browser).
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


def _sniff(content: bytes) -> tuple[str, str] | None:
    for signature, content_type, ext in _IMAGE_SIGNATURES:
        if content.startswith(signature):
            return content_type, ext
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def image_limits() -> dict:
    """The transfer limit per image (bytes), the viewable content types and the presigned URL lifetime."""
    from django.conf import settings

    return {"max_bytes": int(getattr(settings, "CLINICAL_IMAGE_MAX_BYTES", 5 * 1024 * 1024)),
            "types": tuple(getattr(settings, "CLINICAL_IMAGE_TYPES",
                                   ("image/png", "image/jpeg", "image/gif", "image/webp"))),
            "url_seconds": int(getattr(settings, "CLINICAL_IMAGE_URL_SECONDS", 300)),
            "per_report": int(getattr(settings, "CLINICAL_IMAGE_MAX_PER_REPORT", 20))}


def exam_images_sync(*, report, actor=None) -> dict:
    """List the report's images at the PACS and copy the viewable ones within the transfer limit into object
    storage (idempotent: a stored image is not fetched again). Network calls run outside any transaction; each
    image row is written on its own. ExternalServiceError when the PACS cannot list them (what was stored stays).
    Returns {"stored": n, "too_large": n, "unsupported": n, "failed": n}."""
    from clinical.models import ExamImage, ExamImageStatus
    from integrations.ports.pacs import ImageTooLarge
    from integrations.registry import get_port

    limits = image_limits()
    pacs = get_port("pacs")
    listed = pacs.list_images(report.patient.reg_no, report.report_no)[: limits["per_report"]]
    existing = {row.image_id: row for row in ExamImage.objects.filter(report=report)}
    counts = {s: 0 for s in ExamImageStatus.values}
    for position, image in enumerate(listed):
        if not image.image_id:
            continue
        now = timezone.now()
        row = existing.get(image.image_id) or ExamImage(report=report, image_id=_clip(image.image_id, 100))
        row.position, row.title, row.fetched_at = position, _clip(image.title, 200), now
        row.content_type, row.declared_size, row.taken_at = _clip(image.content_type, 100), image.size_bytes, image.taken_at
        if row.pk and row.status == ExamImageStatus.STORED and row.storage_key:
            counts[row.status] += 1
            row.save()
            continue
        row.error = ""
        if image.content_type.split(";")[0].strip().lower() not in limits["types"]:
            row.status = ExamImageStatus.UNSUPPORTED
        elif image.size_bytes is not None and image.size_bytes > limits["max_bytes"]:
            row.status = ExamImageStatus.TOO_LARGE
        else:
            try:
                content = pacs.fetch_image(image.image_id, max_bytes=limits["max_bytes"])
            except ImageTooLarge as exc:
                row.status, row.declared_size = ExamImageStatus.TOO_LARGE, exc.size_bytes or image.size_bytes
            except ExternalServiceError as exc:
                row.status, row.error = ExamImageStatus.FAILED, exc.code
            else:
                row = _store_image(row, content.content)
        row = _save_image_row(row)
        counts[row.status] += 1
    ExamReport.objects.filter(pk=report.pk).update(images_synced_at=timezone.now())
    report.images_synced_at = timezone.now()
    audit_record(actor=actor, action=AuditAction.UPDATE, target=report, system=actor is None,
                 detail=f"listed {len(listed)} image(s), stored {counts['stored']}")
    return counts


_IMAGE_ROW_FIELDS = ("position", "title", "fetched_at", "content_type", "declared_size", "taken_at", "status",
                     "error", "storage_key", "size_bytes", "sha256")


def _save_image_row(row):
    """Save a listed image; a new row another worker inserted meanwhile (two looks at once, or the periodic pull)
    is updated instead, never downgraded from stored."""
    from clinical.models import ExamImage, ExamImageStatus

    if row.pk:
        row.save()
        return row
    try:
        with transaction.atomic():
            row.save()
        return row
    except IntegrityError:
        pass
    with transaction.atomic():
        other = ExamImage.objects.select_for_update().get(report=row.report, image_id=row.image_id)
        if other.status == ExamImageStatus.STORED and row.status != ExamImageStatus.STORED:
            return other
        for name in _IMAGE_ROW_FIELDS:
            setattr(other, name, getattr(row, name))
        other.save()
        return other


def _store_image(row, content: bytes):
    import hashlib

    from clinical.models import ExamImageStatus
    from integrations.registry import get_port

    sniffed = _sniff(content)
    if sniffed is None:
        row.status, row.error = ExamImageStatus.UNSUPPORTED, "content_not_an_image"
        return row
    content_type, ext = sniffed
    # The key names the report and the image row, never the patient.
    key = f"clinical/exam-images/{row.report.uuid}/{row.uuid}.{ext}"
    try:
        get_port("storage").put(key, content, content_type=content_type)
    except ExternalServiceError as exc:
        row.status, row.error = ExamImageStatus.FAILED, exc.code
        return row
    row.status, row.storage_key, row.content_type = ExamImageStatus.STORED, key, content_type
    row.size_bytes, row.sha256 = len(content), hashlib.sha256(content).hexdigest()
    return row


def exam_image_url(image) -> str | None:
    """A short-lived presigned URL of a stored image (None when it was not copied)."""
    from clinical.models import ExamImageStatus
    from integrations.registry import get_port

    if image.status != ExamImageStatus.STORED or not image.storage_key:
        return None
    return get_port("storage").presigned_url(image.storage_key, expires_seconds=image_limits()["url_seconds"])
