"""Sedated endoscopy appointments from the medical-technology appointment system (A11).

The endoscopy unit books painless gastroscopies, colonoscopies and bronchoscopies in its own system; each needs an
anaesthesia assessment first. `sedation_appointments_import` copies one day's list into
`anaesthesia.SedationAppointment` (upsert by appointment number), so the anaesthesia clinic sees the patients
arriving without re-typing them: the patient is resolved by 登记号 through the HIS, the ordering doctor by employee
number, the ward by settings.ANAESTHESIA_SEDATION_WARDS (by exam code, else "default").

Re-running is harmless: an unchanged appointment is left alone, a changed one updated, a cancelled one marked
cancelled (also one that vanished from the day's list, which some systems do instead of flagging it). Each row is
written in its own transaction, so a failure part-way keeps what was imported and the next run continues.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from anaesthesia.models import ProcedureKind, SedationAppointment, SedationAppointmentStatus
from audit.models import AuditAction
from audit.services import audit_record
from cases.services import patient_get_or_create_by_reg_no
from core.errors import DomainError, InvalidInput
from core.outbox import outbox_publish
from org.models import Ward

logger = logging.getLogger(__name__)

IMPORTED = "anaesthesia.sedation_appointments.imported"
SEDATED_KINDS = {ProcedureKind.GASTROSCOPY, ProcedureKind.COLONOSCOPY, ProcedureKind.BRONCHOSCOPY}
# Fields copied from the medical-tech system on every import (the ward is decided once, at creation: an
# assessment may already be under way in it).
_SYNCED = ("visit_no", "procedure_kind", "exam_code", "exam_name", "scheduled_at", "location", "ordering_doctor",
           "ordering_doctor_name", "status")


class SedationWardNotConfigured(DomainError):
    status_code = 409
    default_code = "sedation_ward_not_configured"
    default_message = _("No ward is configured for sedated endoscopy appointments (ANAESTHESIA_SEDATION_WARDS).")


def _ward_resolver() -> Callable[[str], Ward]:
    config = dict(getattr(settings, "ANAESTHESIA_SEDATION_WARDS", {}) or {})
    wards = {w.code: w for w in Ward.objects.filter(code__in=set(config.values()))}
    missing = sorted(code for code in set(config.values()) if code not in wards)
    if "default" not in config or missing:
        raise SedationWardNotConfigured(extra={"missing_wards": missing})
    return lambda exam_code: wards[config.get(exam_code, config["default"])]


def _day_bounds(on: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(on, time.min, tz)
    return start, datetime.combine(on, time.max, tz)


def _refusal(booking, reason: str) -> dict:
    return {"appointment_no": booking.appointment_no, "reason": reason}


@transaction.atomic
def _upsert(*, booking, ward_for, doctors, actor) -> str:
    """One appointment: "created", "updated", "unchanged", or a refusal reason (str starting with "refused:")."""
    if booking.procedure_kind not in SEDATED_KINDS:
        return "refused:unknown_procedure_kind"
    patient = patient_get_or_create_by_reg_no(reg_no=booking.reg_no, actor=actor)
    doctor = doctors.get(booking.ordering_doctor_employee_no)
    status = (SedationAppointmentStatus.CANCELLED if booking.status == SedationAppointmentStatus.CANCELLED
              else SedationAppointmentStatus.BOOKED)
    values = {"visit_no": booking.visit_no[:40], "procedure_kind": booking.procedure_kind,
              "exam_code": booking.exam_code[:40], "exam_name": booking.exam_name[:100],
              "scheduled_at": booking.scheduled_at, "location": booking.location[:100], "ordering_doctor": doctor,
              "ordering_doctor_name": (doctor.name if doctor else booking.ordering_doctor_name)[:50],
              "status": status}
    row = SedationAppointment.objects.select_for_update().filter(appointment_no=booking.appointment_no).first()
    if row is None:
        row = SedationAppointment.objects.create(appointment_no=booking.appointment_no, ward=ward_for(booking.exam_code),
                                                 patient=patient, **values)
        audit_record(actor=actor, action=AuditAction.CREATE, target=row, system=actor is None,
                     after={"appointment_no": row.appointment_no, **{k: values[k] for k in _SYNCED if k != "ordering_doctor"}},
                     detail="imported from the medical-tech appointment system")
        return "created"
    if row.patient_id != patient.pk:
        # The appointment system reused a number for someone else: never move an appointment between patients.
        logger.error("sedation appointment %s already belongs to another patient; not imported", row.appointment_no)
        return "refused:appointment_number_reused"
    before = {k: getattr(row, k) for k in _SYNCED}
    if before == values:
        return "unchanged"
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    changed = [k for k in _SYNCED if before[k] != values[k]]
    plain = lambda d: {k: (str(d[k]) if k == "ordering_doctor" else d[k]) for k in changed}  # noqa: E731
    audit_record(actor=actor, action=AuditAction.UPDATE, target=row, system=actor is None, before=plain(before),
                 after=plain(values), detail="updated from the medical-tech appointment system")
    return "updated"


@transaction.atomic
def _cancel_vanished(*, on: date, listed: set[str], actor) -> int:
    """Booked appointments of `on` the system no longer lists were cancelled there."""
    start, end = _day_bounds(on)
    vanished = (SedationAppointment.objects.select_for_update()
                .filter(scheduled_at__range=(start, end), status=SedationAppointmentStatus.BOOKED)
                .exclude(appointment_no__in=listed))
    count = 0
    for row in vanished:
        row.status = SedationAppointmentStatus.CANCELLED
        row.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, target=row, system=actor is None,
                     before={"status": "booked"}, after={"status": "cancelled"},
                     detail="no longer listed by the medical-tech appointment system")
        count += 1
    return count


def sedation_appointments_import(*, on: date, actor=None, progress: Callable[[int, int], None] | None = None) -> dict:
    """Import the sedated endoscopy list of `on` (idempotent). `progress(done, total)` is called after each row.

    Returns {"date", "fetched", "created", "updated", "unchanged", "cancelled", "refused": [{appointment_no,
    reason}]}; "cancelled" counts rows that are cancelled after this import and were not before.
    Raises ExternalServiceError when the appointment system (or the HIS, resolving a new patient) does not answer:
    rows imported before the failure stay."""
    from integrations.registry import get_port

    if not isinstance(on, date):
        raise InvalidInput(fields={"date": [_("A date is required.")]})
    ward_for = _ward_resolver()
    bookings = get_port("medtech").list_sedation_appointments(on=on)
    employee_nos = {b.ordering_doctor_employee_no for b in bookings if b.ordering_doctor_employee_no}
    doctors = {u.employee_no: u for u in User.objects.filter(employee_no__in=employee_nos, is_active=True)}
    was_cancelled = set(SedationAppointment.objects.filter(
        appointment_no__in=[b.appointment_no for b in bookings],
        status=SedationAppointmentStatus.CANCELLED).values_list("appointment_no", flat=True))
    counts = {"date": on.isoformat(), "fetched": len(bookings), "created": 0, "updated": 0, "unchanged": 0,
              "cancelled": 0, "refused": []}
    for done, booking in enumerate(bookings, start=1):
        try:
            outcome = _upsert(booking=booking, ward_for=ward_for, doctors=doctors, actor=actor)
        except InvalidInput:  # the HIS does not know the 登记号: nothing to attach the appointment to
            outcome = "refused:unknown_patient"
        if outcome.startswith("refused:"):
            counts["refused"].append(_refusal(booking, outcome.split(":", 1)[1]))
        else:
            counts[outcome] += 1
            if booking.status == SedationAppointmentStatus.CANCELLED and booking.appointment_no not in was_cancelled:
                counts["cancelled"] += 1
        if progress:
            progress(done, len(bookings))
    counts["cancelled"] += _cancel_vanished(on=on, listed={b.appointment_no for b in bookings}, actor=actor)
    with transaction.atomic():
        outbox_publish(topic=IMPORTED, key=on.isoformat(),
                       payload={k: v for k, v in counts.items() if k != "refused"} | {"refused": len(counts["refused"])})
    return counts
