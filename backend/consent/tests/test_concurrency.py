"""Two clinicians opening the consent of the same assessment at the same moment: one consent, one 409."""

import threading

import pytest
from django.db import connection

from consent.errors import ConsentAlreadyOpen
from consent.models import ConsentDocument
from consent.services import consent_open, consent_templates_ensure_default
from tests.builders import make_case, make_staff

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.req("A8")]


def test_parallel_opens_make_one_consent():
    from anaesthesia.models import AnaesthesiaAssessment

    case = make_case("booked")
    consent_templates_ensure_default(case.ward.department.hospital)
    assessment = AnaesthesiaAssessment.objects.create(ward=case.ward, patient=case.patient, case=case,
                                                      procedure_kind="day_surgery")
    doctors = [make_staff("anaesthetist", ward=case.ward) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def open_as(doctor):
        try:
            barrier.wait(timeout=10)
            consent_open(actor=doctor, assessment=assessment)
            outcomes.append("opened")
        except ConsentAlreadyOpen:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=open_as, args=(d,)) for d in doctors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["opened", "refused"]
    assert ConsentDocument.objects.filter(assessment=assessment).count() == 1
