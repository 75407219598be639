"""The demo seeding of the timeline runs on the demo's cases and is idempotent."""

import pytest

from cases.models import CaseEvent
from tests.builders import make_case
from timeline.demo import seed_timeline
from timeline.models import CaseNode, NodeDefinition

pytestmark = pytest.mark.django_db


@pytest.mark.req("T1", "Y6")
def test_seed_timeline_is_idempotent(world):
    cases = [make_case(state, ward=world["ward"]) for state in ("booked", "scheduled", "admitted", "discharged")]
    lines = []
    seed_timeline(world["hospital"], write=lines.append)
    assert NodeDefinition.objects.filter(hospital=world["hospital"], key="preop_education").count() == 1
    assert all(CaseNode.objects.filter(case=c, key="booking", state="done").exists() for c in cases)
    assert not CaseNode.objects.filter(key="preop_education", state="done").exists()  # nobody has read anything
    assert any("4/4" in line for line in lines)
    seed_timeline(world["hospital"], write=lines.append)
    assert not CaseEvent.objects.filter(type="education.material.read").exists()
    assert NodeDefinition.objects.filter(hospital=world["hospital"]).count() == 1
