"""Rows of the risk app for the cross-cutting tests (tests/app_seeds.py: the authorisation matrix, the schema fuzzer).

- A risk evaluation naming the ward's patient (the anaesthesia assessment's prediction). The risk API returns only
  the caller's own calculator evaluations (no patient), so this row must stay invisible through it.
- The hospital's knowledge base (published v1 and a draft), and a procedure risk profile, so that every detail
  route of the risk API is exercised on a real row.
"""


def seed_rows(*, ward, patient, case) -> None:
    from accounts.models import User
    from catalog.models import Procedure
    from catalog.services import procedure_create
    from risk.models import KnowledgeBaseStatus, ProcedureRiskProfile, RiskEvaluation
    from risk.services import (
        knowledge_base_create_draft,
        knowledge_base_ensure_default,
        procedure_risk_profile_create,
    )

    hospital = ward.department.hospital
    author = User.objects.filter(wards=ward).order_by("id").first()
    RiskEvaluation.objects.create(
        hospital=hospital, engine_version="seed", inputs={"age": 60}, results=[],
        summary={"disposition": "can_book", "subject": patient.name}, actor=author, patient=patient,
        subject=f"{patient.name} {case.procedure_name if case is not None else ''}".strip()[:200],
    )
    published = knowledge_base_ensure_default(hospital)
    if not published.hospital.risk_knowledge_bases.filter(status=KnowledgeBaseStatus.DRAFT).exists():
        knowledge_base_create_draft(actor=None, hospital=hospital, note="seed draft")
    procedure = getattr(case, "procedure", None) or Procedure.objects.filter(code="RISK.SEED").first() or \
        procedure_create(actor=None, code="RISK.SEED", name="腹腔镜胆囊切除术（测试）", grade=3, incision_class="Ⅱ类")
    if not ProcedureRiskProfile.objects.filter(procedure=procedure).exists():
        procedure_risk_profile_create(actor=None, procedure=procedure, procedure_category="hernia")
