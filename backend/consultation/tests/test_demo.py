"""The demo seed: wound consultations (some answered) and conversations on discharged cases, idempotent."""

import pytest

from consultation.demo import seed_consultation
from consultation.models import Conversation, Message, WoundConsultation, WoundPhoto
from tests.builders import make_case, make_staff


@pytest.mark.django_db
@pytest.mark.req("F9", "PA8")
def test_demo_seed_is_realistic_and_idempotent(ward):
    make_staff("nurse", ward=ward)
    cases = [make_case("discharged", ward=ward) for _ in range(3)]
    hospital = ward.department.hospital
    lines = []
    seed_consultation(hospital, write=lines.append)
    assert WoundConsultation.objects.filter(case__in=cases).count() == 3
    assert WoundConsultation.objects.filter(status="answered").count() == 2
    assert WoundPhoto.objects.count() == 5 and Conversation.objects.count() == 3
    assert Message.objects.filter(sender="staff").exists() and Message.objects.filter(sender="patient").exists()
    seed_consultation(hospital, write=lines.append)
    assert WoundConsultation.objects.count() == 3 and Message.objects.count() == 7
    assert "3 wound consultation(s)" in lines[0] and "0 wound consultation(s)" in lines[-1]
