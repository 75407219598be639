"""The demo seeding of education runs on the demo's cases through the services and is idempotent."""

import pytest

from cases.models import CaseEvent
from education.demo import seed_education
from education.models import Material, ReadingSession
from tests.builders import make_case, make_patient_account

pytestmark = pytest.mark.django_db


@pytest.mark.req("M3", "PA3")
def test_seed_education_is_idempotent(ward, hospital):
    from catalog.models import Procedure

    Procedure.objects.create(code="51.2300", name="腹腔镜胆囊切除术", grade=3, incision_class="Ⅱ类")
    cases = [make_case(state, ward=ward) for state in ("booked", "scheduled", "admitted", "discharged", "draft")]
    make_patient_account(patient=cases[0].patient)
    lines = []
    first = seed_education(hospital, write=lines.append)
    assert first["hospital_items"] == 2 and first["readings"] > 0
    assert Material.objects.filter(hospital=hospital).count() == 2
    reads = CaseEvent.objects.filter(type="education.material.read")
    assert reads.count() == first["readings"] == ReadingSession.objects.filter(finished_at__isnull=False).count()
    assert not ReadingSession.objects.filter(case=cases[4]).exists()  # a draft case reads nothing
    assert all(e.payload["kind"] in ("preop", "admission", "discharge") for e in reads)
    assert not reads.filter(payload__kind="discharge").exclude(case=cases[3]).exists()
    assert any("reading(s) recorded" in line for line in lines)
    again = seed_education(hospital, write=lines.append)
    assert again == {"defaults": 0, "hospital_items": 0, "readings": 0}
    assert reads.count() == first["readings"]
