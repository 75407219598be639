"""Outbox consumers: findings follow the results and the rules (D5).

- `clinical.results.fetched` (any fetch: the periodic pull, a clinician's refresh, the anaesthesia autofill): the
  patient's cases still before surgery are evaluated again.
- `doctor_assessment.rules.changed` (a rule or the results window changed): the hospital's cases (all hospitals'
  for a platform default) are evaluated again.
- `cases.case.rescheduled`: the case's window moved with its surgery date: the case is evaluated again.
Each evaluation appends `clinical.findings.flagged` only when a case's set of flags changed, so a redelivered
message changes nothing.
"""

from core.outbox import outbox_handler


@outbox_handler("clinical.results.fetched", name="doctor_assessment.findings_after_fetch")
def findings_after_fetch(message):
    from cases.models import Patient
    from doctor_assessment.services import findings_evaluate_patient

    patient = Patient.objects.filter(uuid=message.payload.get("patient")).first()
    if patient is not None:
        findings_evaluate_patient(patient)


@outbox_handler("doctor_assessment.rules.changed", name="doctor_assessment.findings_after_rules")
def findings_after_rules(message):
    from doctor_assessment.services import findings_rebuild
    from org.models import Hospital

    hospital_id = message.payload.get("hospital")
    hospital = Hospital.objects.filter(pk=hospital_id).first() if hospital_id else None
    if hospital_id and hospital is None:
        return
    findings_rebuild(hospital=hospital)


@outbox_handler("cases.case.rescheduled", name="doctor_assessment.findings_after_reschedule")
def findings_after_reschedule(message):
    """The results window is relative to the surgery date: a new date is a new window (idempotent)."""
    from cases.models import SurgicalCase
    from doctor_assessment.services import EVALUATED_STATES, findings_evaluate

    case = SurgicalCase.objects.filter(uuid=message.payload.get("case")).first()
    if case is not None and case.state in EVALUATED_STATES:
        findings_evaluate(case)
