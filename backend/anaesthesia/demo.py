"""Demo anaesthesia clinic (A1–A12): a few in-progress, passed and failed assessments on the demo cases.

Idempotent: cases that already have an assessment count towards the targets and are left alone. Each assessment
goes through the services an anaesthetist's client calls (start → draft save → evaluate → conclude), so the demo
shows real risk results, recommendations from the knowledge base, milestones, a terminated case and its SMS.
"""

from anaesthesia.models import AnaesthesiaAssessment, AssessmentStatus
from anaesthesia.services import assessment_conclude, assessment_evaluate, assessment_start, assessment_update
from cases.models import AnaesthesiaClinicStatus, CaseState, SurgicalCase
from core.errors import DomainError

TARGETS = {AssessmentStatus.IN_PROGRESS: 3, AssessmentStatus.PASSED: 4, AssessmentStatus.FAILED: 2}
SYSTEMS = ("cardiovascular", "respiratory", "nervous", "endocrine", "hepatic", "renal", "haematological", "other")


def _sections(n: int, *, fail: bool) -> dict:
    """Plausible, varied findings; the failing ones have decompensated heart failure."""
    height = 155 + (n * 7) % 30
    weight = 50 + (n * 11) % 45
    history = {k: False for k in (
        "hypertension", "ischaemic_heart_disease", "heart_failure", "cerebrovascular_disease", "diabetes",
        "insulin_treatment", "copd", "respiratory_infection_last_month", "cancer", "weight_loss_gt10pct",
        "impaired_sensorium", "chronic_steroids", "transfusion_gt4_units")}
    history.update(hypertension=n % 3 == 0, caprini_factors=[], allergies="无" if n % 4 else "青霉素过敏")
    systems = {k: {"status": "normal"} for k in SYSTEMS}
    if fail:
        history.update(heart_failure=True, hypertension=True, ischaemic_heart_disease=True)
        systems["cardiovascular"] = {"status": "abnormal", "text": "NYHA Ⅲ级，双下肢水肿，BNP 明显升高"}
    return {
        "body": {"height_cm": height, "weight_kg": weight},
        "vitals": {"systolic_bp": 150 if fail else 118 + n % 20, "diastolic_bp": 92 if fail else 76,
                   "heart_rate": 104 if fail else 68 + n % 15, "respiratory_rate": 22 if fail else 16,
                   "temperature_c": 36.5, "spo2_pct": 91 if fail else 97 + n % 3},
        "status": {"asa_class": 4 if fail else 1 + n % 2, "emergency": False,
                   "functional_status": "partially_dependent" if fail else "independent",
                   "smoker_current": n % 5 == 0, "alcohol_gt2_drinks_day": False, "alcohol_abuse": False,
                   "sepsis_status": "none"},
        "history": history,
        "osa": {"snoring": n % 4 == 0, "tired_daytime": False, "observed_apnoea": False,
                "neck_circumference_cm": 36 + n % 8},
        "ponv": {"history_ponv": n % 6 == 0, "motion_sickness": n % 5 == 1, "postop_opioids": True},
        "airway": {"mallampati": 1 + n % 3, "mouth_opening_cm": 4.0, "thyromental_distance_cm": 6.5,
                   "neck_movement_deg": 95, "can_prognath": True, "difficult_intubation_history": "none"},
        "labs": {"creatinine_umol_l": 70 + n % 30, "haemoglobin_g_l": 128 + n % 20},
        "systems": systems,
        "teeth": {"teeth": [{"tooth": 36, "states": ["crowned"]}] if n % 2 else []},
        "eyes": {"eyes": {"left": {"pupil_mm": 3, "light_reflex": "brisk"},
                          "right": {"pupil_mm": 3, "light_reflex": "brisk"}}},
        "plan": {"anaesthesia_plan": "general_lma", "plan_note": "喉罩全麻，术后多模式镇痛"},
    }


def _anaesthetist_for(ward):
    from accounts.models import User
    from org.scoping import ward_scope_for

    for user in User.objects.filter(roles__slug="anaesthetist", is_active=True).order_by("pk"):
        if ward_scope_for(user).allows_ward(ward.pk):
            return user
    return None


def seed_anaesthesia(hospital, *, write=print) -> dict:
    counts = {s: AnaesthesiaAssessment.objects.filter(ward__department__hospital=hospital, status=s).count()
              for s in TARGETS}
    created = dict.fromkeys(TARGETS, 0)
    candidates = (
        SurgicalCase.objects.filter(ward__department__hospital=hospital, state=CaseState.BOOKED,
                                    anaesthesia_clinic_status=AnaesthesiaClinicStatus.PENDING,
                                    anaesthesia_assessments__isnull=True)
        .select_related("ward", "patient").order_by("planned_date", "pk")
    )
    plan = [s for s in TARGETS for _ in range(max(TARGETS[s] - counts[s], 0))]
    skipped = 0
    for case in candidates:
        if not plan:
            break
        actor = _anaesthetist_for(case.ward)
        if actor is None:
            skipped += 1
            continue
        target = plan[0]
        try:
            _assess(case, actor, target)
        except DomainError as exc:  # a demo case the rules refuse (e.g. no birth date): try the next one
            skipped += 1
            write(f"    skipped case {case.pk}: {exc.message}")
            continue
        plan.pop(0)
        created[target] += 1
        write(f"    anaesthesia clinic: {case.patient.name} {case.procedure_name} → {target}")
    write(f"  anaesthesia clinic: {created[AssessmentStatus.IN_PROGRESS]} in progress, "
          f"{created[AssessmentStatus.PASSED]} passed, {created[AssessmentStatus.FAILED]} failed added"
          + (f" ({skipped} cases skipped)" if skipped else ""))
    return {str(k): v for k, v in created.items()}


def _assess(case, actor, target):
    assessment, _created = assessment_start(actor=actor, case=case)
    fail = target == AssessmentStatus.FAILED
    assessment = assessment_update(assessment=assessment, actor=actor, expected_version=assessment.version,
                                   sections=_sections(case.pk, fail=fail))
    if target == AssessmentStatus.IN_PROGRESS:
        return
    assessment = assessment_evaluate(assessment=assessment, actor=actor)
    if fail:
        assessment_conclude(assessment=assessment, actor=actor, result="fail", opinion="不宜行日间手术",
                            reason="心功能不全（NYHA Ⅲ级），建议心内科治疗后住院手术")
    else:
        assessment_conclude(assessment=assessment, actor=actor, result="pass", opinion="麻醉风险可控，可行日间手术",
                            reason="" if assessment.risk_summary.get("disposition") != "not_suitable"
                            else "已与外科医生沟通，加强术中监测")
