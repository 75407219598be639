"""The hospital's assessment settings under real parallel transactions (two administrators' first save at once)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from doctor_assessment.models import AssessmentSettings
from doctor_assessment.services import assessment_settings_update
from tests.builders import make_ward

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.req("D1")
def test_two_first_saves_of_the_settings_at_once_both_succeed():
    # Both saw no settings row and inserted one: the second failed on the unique hospital (IntegrityError, 500).
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    hospital = make_ward().department.hospital
    first_in, release, outcome = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                assessment_settings_update(actor=None, hospital=hospital, results_window_days=20)
                first_in.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            first_in.wait(10)
            outcome["second"] = assessment_settings_update(actor=None, hospital=hospital, pull_ahead_days=3)
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            outcome["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(10)
    time.sleep(0.5)  # the second is now waiting on the first
    release.set()
    for t in threads:
        t.join(20)
    assert isinstance(outcome["second"], dict), outcome["second"]
    row = AssessmentSettings.objects.get(hospital=hospital)
    assert (row.results_window_days, row.pull_ahead_days) == (20, 3)
