"""The demo seed of pre-op management runs on existing cases, is idempotent and leaves icons on the cards."""

import pytest

from cases.models import CaseEvent
from preop.demo import seed_preop
from preop.models import CaseIcon
from preop.tests.conftest import future
from tests.builders import make_case

pytestmark = [pytest.mark.django_db]


def test_seed_preop_is_idempotent_and_shows_icons(world):
    cases = [make_case("booked", ward=world["ward_a"], planned_date=future(n % 5 + 1)) for n in range(12)]
    lines = []
    first = seed_preop(world["hospital"], write=lines.append)
    assert first["facts"] > 0 and any("pre-op:" in line for line in lines)
    events = CaseEvent.objects.count()
    icons = CaseIcon.objects.filter(active=True, case__in=cases).count()
    assert icons > 0
    again = seed_preop(world["hospital"], write=lines.append)
    assert again["facts"] == 0 and again["notes"] == 0 and again["icons_changed"] == 0
    assert CaseEvent.objects.count() == events
