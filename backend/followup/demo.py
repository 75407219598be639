"""Demo follow-ups on the demo hospital's cases in follow-up (F1–F7), through the follow-up services.

The demo's cases were operated today, so no time point of the plans is due yet (the beat job creates them when
their date comes; `tasks_generate` below creates whatever is due). To show the list, the tiers and the tags now, the
first time point of each case in follow-up is brought forward to today, then its outcome is played through the
services, as the patient, the voice platform and the nurses would produce it: answered on the app (some with
abnormal answers → automatic tags), past the self-report deadline → a manual call to make, reached by a nurse
(+ a manual tag), and some left to the voice platform (their call is placed when the outbox delivers).

Idempotent: a case that already has a follow-up task is left alone.
"""

from datetime import timedelta

from django.utils import timezone

from cases.models import CaseState, SurgicalCase
from core.errors import DomainError

GOOD = {"pain": 2, "fever": "no", "bleeding": "none", "wound": "good", "nausea": "none",
        "satisfaction": "very_satisfied"}
ABNORMAL = [
    {"pain": 8, "fever": "yes", "temperature": 38.6, "bleeding": "little", "wound": "red", "nausea": "mild",
     "satisfaction": "satisfied"},
    {"pain": 3, "fever": "no", "bleeding": "much", "wound": "oozing", "nausea": "none",
     "satisfaction": "dissatisfied", "other": "换药等候时间太长"},
]


def _followup_nurse(case):
    from accounts.models import User
    from org.scoping import ward_scope_for

    for role in ("followup_nurse", "nurse"):
        for user in User.objects.filter(roles__slug=role, is_active=True).order_by("pk"):
            if ward_scope_for(user).allows_ward(case.ward_id):
                return user
    return None


def seed_followup(hospital, *, write=print) -> dict:
    from followup import services
    from followup.models import OPEN_TASK_STATUSES, FollowupTask
    from forms.services import response_submit

    stats = services.tasks_generate()
    counts = {"generated": stats["created"], "brought_forward": 0, "self_report": 0, "abnormal": 0, "manual_open": 0,
              "manual_done": 0, "voice": 0, "skipped": 0}
    cases = (SurgicalCase.objects.filter(ward__department__hospital=hospital, state=CaseState.FOLLOW_UP)
             .exclude(followup_tasks__isnull=False).select_related("ward__department", "patient").order_by("id"))
    now = timezone.now()
    for index, case in enumerate(cases):
        plan = services.plan_for_case(case)
        point = plan.points[0] if plan else None
        anchor_at = services.anchor_time(case, point["anchor"]) if point else None
        if anchor_at is None:
            counts["skipped"] += 1
            continue
        try:
            task = services.task_create(case=case, plan=plan, point=point, anchor_at=anchor_at, due_at=now)
            if task is None:
                continue
            counts["brought_forward"] += 1
            kind = index % 5
            if kind == 0 or task.assignment is None:
                counts["voice"] += 1  # the outbox places the voice call
                continue
            if kind in (1, 2):
                answers = GOOD if kind == 1 else ABNORMAL[index % len(ABNORMAL)]
                response = response_submit(assignment=task.assignment, answers=answers, channel="mobile", actor=None)
                services.response_received(assignment_uuid=task.assignment.uuid, complete=response.complete)
                services.tags_from_response(response_uuid=response.uuid)
                counts["self_report" if kind == 1 else "abnormal"] += 1
                continue
            # Voice not reached, link not used: past both windows → the manual call for a follow-up nurse.
            passed = timezone.now() + timedelta(hours=task.windows["voice_hours"] + 1)
            services.advance_overdue(now=passed, task_ids=[task.pk])
            services.advance_overdue(now=passed + timedelta(hours=task.windows["selfreport_hours"] + 1),
                                     task_ids=[task.pk])
            task = FollowupTask.objects.get(pk=task.pk)
            if task.status not in OPEN_TASK_STATUSES:  # the simulated voice platform answered meanwhile
                counts["voice"] += 1
                continue
            nurse = _followup_nurse(case)
            if kind == 3 or nurse is None:
                counts["manual_open"] += 1
                continue
            services.manual_call_record(task=task, actor=nurse, reached=True, answers=GOOD,
                                        note="电话随访，患者恢复良好，嘱术后第7天门诊复查")
            services.case_tag_add(case=case, code="revisit", actor=nurse, note="术后第7天门诊复查")
            counts["manual_done"] += 1
        except DomainError as exc:
            write(f"  follow-up of case {case.uuid} skipped: {exc}")
            counts["skipped"] += 1
    write("follow-up: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
