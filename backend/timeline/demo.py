"""Demo timeline (T1–T3, Y6): the default nodes, one hospital override, and every demo case's timeline derived
from its events (the education readings among them come from education.demo, seeded before).

Idempotent: the override is created once; the rebuild replays the events again (same result).
"""



from cases.models import SurgicalCase
from timeline.models import NodeDefinition
from timeline.services import node_definition_create, timeline_defaults_sync, timeline_rebuild_many


def _override(hospital, write):
    if NodeDefinition.objects.filter(hospital=hospital, key="preop_education", retired_at__isnull=True).exists():
        return
    default = NodeDefinition.objects.get(hospital__isnull=True, management_mode="", key="preop_education")
    from datetime import time

    node_definition_create(actor=None, hospital=hospital, key="preop_education", copy_from=default,
                           patient_name="观看术前宣教视频", expected_time=time(18, 0), rebuild=False,
                           reason="本院要求术前一日18:00前完成宣教")
    write("  timeline: the hospital's own education node (18:00 the day before, patient wording)")


def seed_timeline(hospital, *, write=print):
    timeline_defaults_sync(write=write)
    _override(hospital, write)
    cases = SurgicalCase.objects.filter(ward__department__hospital=hospital).order_by("pk")
    write(f"  timeline: deriving the timelines of {cases.count()} case(s)")
    timeline_rebuild_many(cases, write=write)
