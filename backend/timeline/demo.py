"""Demo timeline (T1–T3, Y6): the default nodes, one hospital override, education read on some booked cases, and
every demo case's timeline derived from its events.

Idempotent: the override is created once; a case that already has an education-read event gets no other; the
rebuild replays the events again (same result).
"""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import PatientAccount
from cases.models import CaseEvent, CaseState, SurgicalCase
from cases.services import case_append_event, case_lock
from timeline.models import NodeDefinition
from timeline.services import node_definition_create, timeline_defaults_sync, timeline_rebuild_many

READ_STATES = (CaseState.APPLICATION_SENT, CaseState.SCHEDULED, CaseState.ADMITTED, CaseState.IN_THEATRE,
               CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED)
MATERIALS = [("腹腔镜胆囊切除术术前须知", "preop"), ("日间手术入院须知", "admission"), ("术前禁食禁饮视频", "preop")]


def _override(hospital, write):
    if NodeDefinition.objects.filter(hospital=hospital, key="preop_education", retired_at__isnull=True).exists():
        return
    default = NodeDefinition.objects.get(hospital__isnull=True, management_mode="", key="preop_education")
    from datetime import time

    node_definition_create(actor=None, hospital=hospital, key="preop_education", copy_from=default,
                           patient_name="观看术前宣教视频", expected_time=time(18, 0), rebuild=False,
                           reason="本院要求术前一日18:00前完成宣教")
    write("  timeline: the hospital's own education node (18:00 the day before, patient wording)")


def _education_reads(hospital, write) -> int:
    cases = SurgicalCase.objects.filter(ward__department__hospital=hospital, state__in=READ_STATES).order_by("pk")
    have_read = set(CaseEvent.objects.filter(case__in=cases, type="education.material.read")
                    .values_list("case_id", flat=True))
    added = 0
    for index, case in enumerate(cases):
        if index % 3 == 2 or case.pk in have_read:
            continue  # a third of the patients have not read anything: the node shows pending / overdue
        title, kind = MATERIALS[index % len(MATERIALS)]
        with transaction.atomic():
            locked = case_lock(case)
            booked = CaseEvent.objects.filter(case=locked, type="cases.case.booked").order_by("sequence").first()
            read_at = min(booked.occurred_at + timedelta(hours=3), timezone.now()) if booked else None
            reader = PatientAccount.objects.filter(patient_id=locked.patient_id, is_active=True).first()
            case_append_event(locked, type="education.material.read", actor=reader, occurred_at=read_at,
                              payload={"kind": kind, "material": str(uuid.uuid5(uuid.NAMESPACE_URL, title)),
                                       "title": title})
        added += 1
    return added


def seed_timeline(hospital, *, write=print):
    timeline_defaults_sync(write=write)
    _override(hospital, write)
    added = _education_reads(hospital, write)
    write(f"  timeline: {added} education reading(s) recorded")
    cases = SurgicalCase.objects.filter(ward__department__hospital=hospital).order_by("pk")
    write(f"  timeline: deriving the timelines of {cases.count()} case(s)")
    timeline_rebuild_many(cases, write=write)
