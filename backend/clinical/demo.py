"""Demo clinical data: this visit's lab and exam results of the demo cases, fetched from the hospital simulator
(A3–A5), and the next two days of sedated endoscopy appointments (A11).

Idempotent (both are upserts). Needs the simulator (`make demo` starts it first); when it does not answer, the
demo still comes up, without results, and says so.
"""

from datetime import timedelta

from django.utils import timezone

from core.errors import DomainError, ExternalServiceError

# Active cases whose results the anaesthesia clinic and the surgeons would read.
ACTIVE_STATES = ("pending_pool", "booked", "application_sent", "scheduled", "admitted", "in_theatre", "operated")


def seed_clinical(hospital, *, write=print) -> dict:
    from anaesthesia.sedation import sedation_appointments_import
    from cases.models import SurgicalCase
    from clinical.services import clinical_results_fetch

    cases = list(SurgicalCase.objects.filter(ward__department__hospital=hospital, state__in=ACTIVE_STATES)
                 .exclude(visit_no="").select_related("patient").order_by("pk"))
    counts = {"cases": 0, "labs": 0, "exams": 0, "sedation_appointments": 0, "unavailable": 0}
    seen = set()
    for n, case in enumerate(cases, start=1):
        key = (case.patient_id, case.visit_no)
        if key in seen:
            continue
        seen.add(key)
        try:
            fetched = clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=None)
        except (ExternalServiceError, DomainError) as exc:
            counts["unavailable"] += 1
            if isinstance(exc, ExternalServiceError) and counts["unavailable"] == 1:
                write("  clinical results: the hospital simulator did not answer; demo cases have no results yet")
            continue
        counts["cases"] += 1
        counts["labs"] += fetched["labs"]
        counts["exams"] += fetched["exams"]
        if n % 10 == 0:
            write(f"  clinical results: {n}/{len(cases)} cases")
    write(f"  clinical results: {counts['labs']} lab and {counts['exams']} exam reports for {counts['cases']} cases")
    today = timezone.localdate()
    for days in (1, 2):
        try:
            imported = sedation_appointments_import(on=today + timedelta(days=days))
        except DomainError as exc:
            write(f"  sedation appointments: not imported ({exc.code})")
            break
        counts["sedation_appointments"] += imported["fetched"]
    write(f"  sedation appointments: {counts['sedation_appointments']} for the next two days")
    return counts
