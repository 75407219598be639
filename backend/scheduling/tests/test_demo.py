"""The demo seed of theatre scheduling runs on existing cases, is idempotent, and leaves every schedule state."""

import pytest

from cases.models import SurgicalCase, TheatreScheduleStatus
from catalog.models import Procedure
from scheduling.demo import seed_scheduling
from scheduling.export import clean_columns
from scheduling.models import ApplicationStatus, ScheduleExclusion, ScheduleExportLayout, TheatreApplication
from scheduling.tests.conftest import booked
from tests.builders import make_case

pytestmark = [pytest.mark.django_db]


@pytest.mark.req("S4", "S5")
def test_seed_scheduling_is_idempotent_and_shows_the_states(world):
    minor = Procedure.objects.create(code="86.3", name="皮肤病损切除术", grade=1, incision_class="Ⅰ类")
    ready = [booked(ward=world["ward"], surgeon=world["surgeon"], days=d) for d in (1, 2, 3)]
    SurgicalCase.objects.filter(pk__in=[c.pk for c in ready]).update(procedure=minor, procedure_code="86.3")
    scheduled = make_case("scheduled", ward=world["ward"], surgeon=world["surgeon"])
    waiting = make_case("application_sent", ward=world["ward_b"], surgeon=world["surgeon_b"])
    lines = []
    first = seed_scheduling(world["hospital"], write=lines.append)
    assert first == {"export_layout": 1, "excluded_sent": 2, "applications_scheduled": 1, "applications_to_send": 1}
    assert any("皮肤病损切除术" in line for line in lines)
    assert ScheduleExclusion.objects.get().procedure == minor
    assert SurgicalCase.objects.filter(theatre_schedule_status=TheatreScheduleStatus.NOT_TO_BE_SCHEDULED).count() == 2
    assert TheatreApplication.objects.get(case=scheduled).status == ApplicationStatus.SCHEDULED
    assert TheatreApplication.objects.get(case=waiting).status == ApplicationStatus.PENDING
    layout = ScheduleExportLayout.objects.get()
    assert layout.columns[0]["header"] == "手术日期" and clean_columns(layout.columns) == layout.columns
    again = seed_scheduling(world["hospital"], write=lines.append)
    assert again == {"export_layout": 0, "excluded_sent": 0, "applications_scheduled": 0, "applications_to_send": 0}
    assert TheatreApplication.objects.count() == 2
