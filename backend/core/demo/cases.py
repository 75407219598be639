"""Demo cases spread over the pathway states, every one reached through the case services (`case_create`,
`case_record_milestone`, `case_transition`) by the staff member whose role does that step, so the demo shows
only states and histories the rules allow.

Clinical times are set with `occurred_at` (recorded "now", happened earlier, as when a nurse records an
admission after the fact): today's list is admitted this morning, one patient was admitted ~21 h ago so the
length-of-stay alert shows, one was transferred to an inpatient ward after 30 h. Future bookings are spread
over the coming weekdays. Idempotent: a patient who already has a case is skipped.
"""

import random
from collections import Counter
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

# (target, how many) — ~200 cases; "o:" targets are outpatient-surgery cases (no admission / discharge)
PLAN = [
    ("draft", 12),
    ("pending_pool", 6),
    ("booked", 28),
    ("application_sent", 18),
    ("scheduled", 26),
    ("admitted", 8),
    ("admitted_21h", 1),
    ("in_theatre", 4),
    ("operated", 7),
    ("discharged", 14),
    ("follow_up", 22),
    ("closed", 14),
    ("cancelled_before_day", 6),
    ("cancelled_on_day", 3),
    ("cancelled_after_arrival", 1),
    ("no_show", 5),
    ("terminated", 4),
    ("transferred", 1),
    ("o:scheduled", 4),
    ("o:operated", 3),
    ("o:follow_up", 6),
    ("o:closed", 5),
]

CANCEL_REASONS = ["patient_request", "patient_unwell", "abnormal_results", "changed_plan", "financial"]
INPATIENT_WARDS = ["普外科一病区", "骨科二病区", "泌尿外科病区"]


def interleaved_targets():
    """The plan's targets in round-robin order, so any smaller demo (--patients 40) still covers every state."""
    remaining = dict(PLAN)
    targets = []
    while any(remaining.values()):
        for target, _ in PLAN:
            if remaining[target]:
                targets.append(target)
                remaining[target] -= 1
    return targets


def _weekday_after(day, n):
    """The n-th weekday after `day` (n ≥ 1)."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


class CaseSeeder:
    def __init__(self, seeder):
        from accounts.models import User
        from catalog.models import Procedure
        from org.models import TheatreRoom

        self.seeder = seeder
        self.visit_by_patient = getattr(seeder, "visit_by_patient", {})
        self.rng = random.Random(20260303)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.wards = seeder.wards
        users = User.objects.filter(is_active=True).prefetch_related("roles", "wards")
        by_role = {}
        for u in users:
            for r in u.roles.all():
                by_role.setdefault(r.slug, []).append(u)
        self.surgeons = [u for u in by_role.get("doctor", []) if not u.is_virtual and u.phone]
        self.virtual = next((u for u in by_role.get("doctor", []) if u.is_virtual), None)
        self.anaesthetist = by_role["anaesthetist"][0]
        self.followup = by_role["followup_nurse"][0]
        self.nurse_of = {}
        for mode, ward in self.wards.items():
            from org.scoping import ward_scope_for

            candidates = [n for n in by_role.get("nurse", []) if ward_scope_for(n).allows_ward(ward.pk)]
            # prefer a nurse who works only there
            candidates.sort(key=lambda n: len(ward_scope_for(n).ward_ids))
            self.nurse_of[mode] = candidates[0] if candidates else by_role["hospital_admin"][0]
        self.procedures_of = {
            mode: list(Procedure.objects.filter(is_active=True, wards=ward).select_related("department"))
            for mode, ward in self.wards.items()
        }
        self.rooms = list(TheatreRoom.objects.filter(suite__code="DS-OR").order_by("code"))
        self.sequence = Counter()

    # -------------------------------------------------------------------------------------------------------
    def _surgeon_for(self, procedure, ward):
        from org.scoping import ward_scope_for

        dept = procedure.department_id
        admitted = set(procedure.admitted_doctors.values_list("pk", flat=True))  # empty: any surgeon may
        pool = [
            s for s in self.surgeons
            if s.department_id == dept and ward_scope_for(s).allows_ward(ward.pk) and (not admitted or s.pk in admitted)
        ]
        pool = pool or [s for s in self.surgeons if ward_scope_for(s).allows_ward(ward.pk)]
        return self.rng.choice(pool)

    def _at(self, hours_ago, jitter_minutes=20):
        return self.now - timedelta(hours=hours_ago, minutes=self.rng.randrange(jitter_minutes))

    def build(self, patient, target):
        from cases.services import case_create, case_record_milestone, case_transition

        outpatient = target.startswith("o:")
        target = target.removeprefix("o:")
        if outpatient:
            mode = "outpatient"
        else:
            mode = "ward" if self.rng.random() < 0.25 else "centre"
        ward = self.wards[mode]
        procedure = self.rng.choice(self.procedures_of[mode])
        surgeon = self._surgeon_for(procedure, ward)
        nurse = self.nurse_of[mode]
        rng = self.rng

        def step(name, actor=nurse, **data):
            return case_transition(case=case, transition=name, actor=actor, **data)

        # When the operation is (or was) planned: future bookings on coming weekdays, the rest today.
        future_states = {"draft", "pending_pool", "booked", "application_sent", "scheduled", "cancelled_before_day", "terminated"}
        planned = _weekday_after(self.today, rng.randint(1, 12)) if target in future_states else self.today
        if target == "draft" and rng.random() < 0.4:
            planned = None
        session = rng.choice(["am", "pm"])
        anaesthesia = "local" if outpatient else ("general" if procedure.grade >= 3 else rng.choice(["spinal", "nerve_block", "general"]))
        use_virtual = target == "draft" and self.virtual is not None and rng.random() < 0.3

        case = case_create(
            actor=surgeon,
            patient=patient,
            ward=ward,
            surgeon=self.virtual if use_virtual else surgeon,
            procedure=procedure,
            planned_date=planned,
            planned_session=session if planned else "",
            anaesthesia_method=anaesthesia,
            anaesthesia_clinic_required=procedure.requires_anaesthesia_clinic and not outpatient,
            department=procedure.department,
            visit_no=self.visit_by_patient.get(patient.pk, ""),
        )
        if target == "draft":
            return case
        if target == "pending_pool":
            return step("to_pending_pool", actor=surgeon, reason="患者需考虑后再决定手术时间")

        step("confirm", actor=surgeon)
        if target == "booked":
            # Booked patients at every stage of their pre-op work: both assessments done, only the surgeon's
            # (the anaesthesia clinic's queue), or neither yet.
            progress = rng.random()
            if progress < 0.6:
                self._assess(case, surgeon, case_record_milestone, anaesthesia_clinic=progress < 0.25)
            return case
        if target == "cancelled_before_day":
            return step("cancel", reason_code=rng.choice(CANCEL_REASONS))
        if target == "terminated":
            return step("terminate", actor=self.anaesthetist, reason="麻醉门诊评估：ASA Ⅲ级，合并症未控制，不宜日间手术")

        self._assess(case, surgeon, case_record_milestone)
        step("send_application", actor=surgeon)
        if target == "application_sent":
            return case
        room = self.rooms[-1] if outpatient else rng.choice(self.rooms[:-1] or self.rooms)
        key = (room.pk, case.planned_date)
        self.sequence[key] += 1
        start_minutes = (8 * 60 if session == "am" else 13 * 60 + 30) + 60 * (self.sequence[key] - 1) % 240
        scheduled_start = timezone.make_aware(datetime.combine(case.planned_date, time()) + timedelta(minutes=start_minutes))
        step("theatre_scheduled", scheduled_start=scheduled_start, theatre_room=room, theatre_sequence=self.sequence[key])
        if target == "scheduled":
            return case
        if target == "cancelled_on_day":
            return step("cancel", reason_code=rng.choice(["patient_unwell", "not_fasting", "patient_request"]))
        if target == "no_show":
            return step("no_show", reason="电话联系未接通，患者未到院")

        # The day of surgery. Hours before now for each step (admission → theatre → end → discharge).
        if target == "admitted_21h":
            step("admit", occurred_at=self._at(21, 10))
            return case
        if target == "transferred":
            step("admit", occurred_at=self._at(30))
            step("enter_theatre", occurred_at=self._at(27))
            step("finish_operation", occurred_at=self._at(25))
            return step(
                "transfer_to_inpatient", actor=surgeon, occurred_at=self._at(2),
                reason="术后出血观察，超过48小时需继续住院治疗", inpatient_ward_name=rng.choice(INPATIENT_WARDS),
                inpatient_admission_no=f"ZY{rng.randrange(10**7):07d}",
            )
        if not outpatient:
            admitted_hours = {
                "admitted": rng.uniform(0.5, 3),
                "cancelled_after_arrival": rng.uniform(0.5, 2),
                "in_theatre": rng.uniform(2, 4),
                "operated": rng.uniform(3, 6),
            }.get(target, rng.uniform(6, 12))
            step("admit", occurred_at=self._at(admitted_hours))
            if target == "admitted":
                return case
            if target == "cancelled_after_arrival":
                return step("cancel", reason_code="patient_unwell", reason_text="入院后测体温38.5℃")
            theatre_in = rng.uniform(0.2, 0.8) if target == "in_theatre" else admitted_hours - rng.uniform(0.5, 1.5)
        else:
            theatre_in = rng.uniform(0.2, 0.8) if target == "in_theatre" else rng.uniform(2, 5)
        step("enter_theatre", occurred_at=self._at(theatre_in, 1))
        if target == "in_theatre":
            return case
        duration_h = procedure.default_duration_minutes / 60
        out_at = self.now - timedelta(hours=max(theatre_in - duration_h - 0.3, 0.05))
        incision_start = self.now - timedelta(hours=theatre_in - 0.2)
        incision_end = min(incision_start + timedelta(hours=duration_h), out_at)
        step("finish_operation", occurred_at=out_at, incision_start_at=incision_start, incision_end_at=incision_end,
             theatre_out_at=out_at)
        if target == "operated":
            return case
        if not outpatient:
            from stay.services import discharge_assessment_record

            discharge_at = min(self.now, out_at + timedelta(hours=rng.uniform(1, 3)))
            discharge_assessment_record(  # PADS ready (≥ 9, no item 0): staff may discharge
                case=case, actor=nurse, assessed_at=out_at + (discharge_at - out_at) * 0.8,
                items={"vital_signs": 2, "activity": 2, "nausea_vomiting": 2, "pain": rng.choice((1, 2)),
                       "surgical_bleeding": 2},
            )
            step("discharge", occurred_at=discharge_at)
            if target == "discharged":
                return case
        step("start_follow_up", actor=self.followup)
        if target == "follow_up":
            return case
        return step("close", actor=self.followup, note="术后随访完成，恢复良好")

    def _assess(self, case, surgeon, case_record_milestone, *, anaesthesia_clinic=True):
        from cases.models import AnaesthesiaClinicStatus

        if anaesthesia_clinic and case.anaesthesia_clinic_status == AnaesthesiaClinicStatus.PENDING:
            case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=self.anaesthetist)
        status = "needs_attention" if self.rng.random() < 0.15 else "passed"
        case_record_milestone(case=case, milestone="preop_assessment", status=status, actor=surgeon)


def seed_cases(seeder):
    from cases.models import Patient, SurgicalCase
    from cases.services import run_los_clock

    builder = CaseSeeder(seeder)
    targets = interleaved_targets()
    patients = list(Patient.objects.filter(pk__in=seeder.patient_ids))
    order = {pk: i for i, pk in enumerate(seeder.patient_ids)}
    patients.sort(key=lambda p: order[p.pk])
    with_case = set(SurgicalCase.objects.filter(patient__in=patients).values_list("patient_id", flat=True))
    work = [(p, t) for p, t in zip(patients, targets, strict=False) if p.pk not in with_case]

    def build(item):
        patient, target = item
        builder.build(patient, target)

    with transaction.atomic():
        seeder.progress.run("cases", work, build, every=max(1, len(work) // 5))
    flagged = run_los_clock()
    counts = Counter(SurgicalCase.objects.values_list("state", flat=True))
    seeder.write("  cases by state: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if flagged:
        seeder.write(f"  length-of-stay alerts raised: {flagged}")
    return dict(sorted(counts.items()))
