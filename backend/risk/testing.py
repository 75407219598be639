"""Rows of the risk app that carry patient data, for the cross-cutting tests (tests/app_seeds.py).

A risk evaluation may name a patient (the anaesthesia assessment's prediction). The risk API returns only the
caller's own calculator evaluations (no patient), so ward-A evaluations must stay invisible through it.
"""


def seed_rows(*, ward, patient, case) -> None:
    from accounts.models import User
    from risk.models import RiskEvaluation

    author = User.objects.filter(wards=ward).order_by("id").first()
    RiskEvaluation.objects.create(
        hospital=ward.department.hospital, engine_version="seed", inputs={"age": 60}, results=[],
        summary={"disposition": "can_book", "subject": patient.name}, actor=author, patient=patient,
        subject=f"{patient.name} {case.procedure_name if case is not None else ''}".strip()[:200],
    )
