"""Demo data of pre-op patient management (P1–P3): the default icon rules, then on the demo's booked cases the facts
the bed cards show — the patient logged in to the app, completed their details, got the booking notice (the
education readings come from education.demo, through real reading sessions) — and the day-surgery manager's notes (companion, remarks) on some cases not yet sent.
Idempotent: a case that already has a fact is left alone. Ends by rebuilding the icons of the hospital's boards."""

import random

from django.db import transaction

from cases.models import CaseEvent, CaseState, SurgicalCase
from cases.services import case_append_event, case_lock, case_update_details
from preop import services

COMPANIONS = [("配偶", "陪同：配偶，术后接送"), ("女儿", "陪同：女儿"), ("儿子", "陪同：儿子，请提前电话确认"),
              ("朋友", "陪同：朋友")]
REMARKS = ["高血压，晨起降压药少量水送服", "青霉素过敏", "糖尿病，术日停用降糖药", "听力差，沟通请大声",
           "首台手术，7:00前到院", "需轮椅接送"]
PHONES = ["13912340001", "13912340002", "13912340003", "13912340004"]
FACT_STATES = (CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED)


def _has(case, event_type):
    return CaseEvent.objects.filter(case=case, type=event_type).exists()


@transaction.atomic
def _facts(case, rng) -> int:
    locked = case_lock(case)
    added = 0
    plan = [
        ("messaging.message.sent", 0.8, {"channel": "sms", "kind": "booking_notice", "status": "sent"}),
        ("patient.app.logged_in", 0.6, {}),
        ("patient.details.completed", 0.4, {}),
    ]
    for event_type, share, data in plan:
        if rng.random() < share and not _has(locked, event_type):
            case_append_event(locked, type=event_type, actor=None, payload=data)
            added += 1
    return added


def seed_preop(hospital, *, write=print) -> dict:
    """Default icon rules, bed-card facts on the demo's booked cases, manager notes; then the icons rebuilt."""
    changed_rules = services.icon_rules_sync_defaults()
    cases = list(
        SurgicalCase.objects.filter(ward__department__hospital=hospital, state__in=FACT_STATES)
        .select_related("ward", "patient").order_by("pk")
    )
    counts = {"rules": changed_rules, "facts": 0, "notes": 0}
    for case in cases:
        rng = random.Random(f"preop-demo:{case.uuid}")
        counts["facts"] += _facts(case, rng)
        noted, (companion, remark), phone, extra = (rng.random() < 0.3, rng.choice(COMPANIONS), rng.choice(PHONES),
                                                    rng.choice(REMARKS))
        if case.state == CaseState.BOOKED and not case.remarks and noted:
            case_update_details(case=case, actor=None, companion_name=companion, companion_phone=phone,
                                remarks=f"{remark}；{extra}")
            counts["notes"] += 1
    write(f"  pre-op: {counts['rules']} default icon rules written, {counts['facts']} bed-card facts and "
          f"{counts['notes']} manager notes on {len(cases)} booked cases")
    rebuilt = services.icons_rebuild(services.hospital_board_cases(hospital.pk), write=write, every=100)
    counts.update(icons_rebuilt=rebuilt["cases"], icons_changed=rebuilt["changed"])
    return counts
