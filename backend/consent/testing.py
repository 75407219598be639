"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one consent of each state
kind the API shows, for the given ward / patient / case, without the CA or the signature pad."""

from django.db import transaction


@transaction.atomic
def seed_rows(*, ward, patient, case) -> None:
    from anaesthesia.models import AnaesthesiaAssessment, AssessmentStatus, ProcedureKind
    from consent.services import consent_open, consent_templates_ensure_default

    hospital = ward.department.hospital
    consent_templates_ensure_default(hospital)
    if case is None:
        return
    # A concluded (passed) assessment: it never collides with another context's open assessment of the case.
    assessment = (AnaesthesiaAssessment.objects.filter(case=case).exclude(status=AssessmentStatus.FAILED).first()
                  or AnaesthesiaAssessment.objects.create(ward=ward, patient=patient, case=case,
                                                          procedure_kind=ProcedureKind.DAY_SURGERY,
                                                          status=AssessmentStatus.PASSED))
    if not assessment.consent_documents.exists():
        consent_open(actor=None, assessment=assessment)
