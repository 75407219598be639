"""Demo education (Y11, M3, PA3, PA5): the platform's default materials, the demo hospital's own items for its most
booked procedure (one replaces the default discharge guide), and reading sessions of the demo patients through the
services — so the bed-card icon, the timeline's education node and patient management show real readings.

Who read what is drawn deterministically per case: two patients in three read their pre-op and admission items
after booking; discharged patients read the discharge guide. Idempotent: a case with reading sessions is left alone,
the hospital's items are created once. Videos are not seeded (the demo has no real video file to serve).
"""

import random
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import PatientAccount
from cases.models import CaseEvent, CaseState, SurgicalCase
from education import selectors, services
from education.models import Material, Phase, ReadingSession

READ_STATES = (CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED, CaseState.ADMITTED,
               CaseState.IN_THEATRE, CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED)
AFTER_DISCHARGE = (CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED)
MAX_CASES = 80  # keeps the demo start-up fast

HOSPITAL_ITEMS = [
    {"key": "procedure_preop", "phase": Phase.PREOP, "order": 15, "title": "{procedure}术前须知",
     "min": 45, "body": "## {procedure}\n- 手术在全身麻醉下进行，时间约 1 小时。\n- 术前一晚 22:00 后禁食，术前 2 小时禁饮。\n"
                        "- 请提前准备一名成年陪护，术后陪同回家。\n- 如有感冒、发热，请提前致电日间手术中心。"},
    {"key": "discharge_home_care", "phase": Phase.DISCHARGE, "order": 30, "title": "{procedure}出院后居家护理",
     "min": 60, "body": "## 伤口\n- 保持敷料干燥，术后第 3 天换药。\n## 饮食\n- 术后 1 周低脂清淡饮食，少量多餐。\n"
                        "## 活动\n- 术后 1 周内避免提重物。\n## 立即就医\n- 发热超过 38.5℃、皮肤巩膜发黄、剧烈腹痛、伤口出血。"},
]


def _hospital_items(hospital, write) -> int:
    from catalog.models import Procedure

    top = (SurgicalCase.objects.filter(ward__department__hospital=hospital).exclude(procedure_code="")
           .values("procedure_code").annotate(n=Count("id")).order_by("-n", "procedure_code").first())
    procedure = Procedure.objects.filter(code=top["procedure_code"]).first() if top else None
    if procedure is None:
        return 0
    created = 0
    for item in HOSPITAL_ITEMS:
        if Material.objects.filter(hospital=hospital, procedure=procedure, key=item["key"],
                                   retired_at__isnull=True).exists():
            continue
        services.material_create(
            actor=None, hospital=hospital, procedure=procedure, key=item["key"], phase=item["phase"], format="text",
            title=item["title"].format(procedure=procedure.name), body=item["body"].format(procedure=procedure.name),
            min_read_seconds=item["min"], order=item["order"], note="演示数据")
        created += 1
    if created:
        write(f"  education: {created} item(s) of the hospital for {procedure.name}")
    return created


def _read(case, material, *, at, reader, rng):
    session = services.reading_start(case=case, material=material, actor=reader, now=at)
    services.reading_finish(session=session, actor=reader,
                            now=at + timedelta(seconds=session.min_seconds + rng.randint(5, 240)))


def _readings(hospital) -> int:
    now = timezone.now()
    # The same cases every run (a second run must add nothing): the first MAX_CASES, less those already seeded.
    first = list(SurgicalCase.objects.filter(ward__department__hospital=hospital, state__in=READ_STATES)
                 .select_related("ward__department", "patient").order_by("pk")[:MAX_CASES])
    seeded = set(ReadingSession.objects.filter(case__in=first).values_list("case_id", flat=True))
    cases = [c for c in first if c.pk not in seeded]
    booked_at = dict(CaseEvent.objects.filter(case__in=cases, type="cases.case.booked")
                     .values_list("case_id", "occurred_at"))
    readers = {a.patient_id: a for a in PatientAccount.objects.filter(
        patient_id__in=[c.patient_id for c in cases], is_active=True)}
    sessions = 0
    for case in cases:
        rng = random.Random(f"education-demo:{case.uuid}")
        reads_preop = rng.random() < 2 / 3
        reader = readers.get(case.patient_id)
        start = booked_at.get(case.pk, now - timedelta(days=1)) + timedelta(hours=rng.randint(1, 20))
        for material in selectors.materials_for_case(case):
            if material.phase == Phase.DISCHARGE:
                wanted = case.state in AFTER_DISCHARGE and case.discharged_at is not None
                at = (case.discharged_at + timedelta(hours=rng.randint(2, 30))) if wanted else None
            else:
                wanted, at = reads_preop, start
            if not wanted or at is None:
                continue
            latest = now - timedelta(seconds=material.current.min_read_seconds + 300)
            _read(case, material, at=min(at, latest), reader=reader, rng=rng)
            start += timedelta(minutes=rng.randint(5, 40))
            sessions += 1
    return sessions


def seed_education(hospital, *, write=print) -> dict:
    defaults = services.materials_sync_defaults()
    items = _hospital_items(hospital, write)
    sessions = _readings(hospital)
    write(f"  education: {defaults} default item(s) written, {sessions} reading(s) recorded")
    return {"defaults": defaults, "hospital_items": items, "readings": sessions}
