"""The recovery and to-do demo seeds run through the services, quickly, and are idempotent."""

import pytest

from recovery.demo import seed_recovery
from tests.builders import make_case, make_department, make_hospital, make_staff, make_ward
from todos.demo import seed_todos
from todos.models import Todo

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA8", "SA7")]


def test_demo_seeds_plans_and_todos_idempotently():
    hospital, _campus = make_hospital()
    ward = make_ward(department=make_department(hospital=hospital))
    make_case("discharged", ward=ward)
    make_case("booked", ward=ward, surgeon=make_staff("doctor", ward=ward, is_virtual=True))
    lines = []
    assert seed_recovery(hospital, write=lines.append) == 1
    assert seed_recovery(hospital, write=lines.append) == 0
    first = seed_todos(hospital, write=lines.append)
    assert seed_todos(hospital, write=lines.append) == {"opened": 0, "closed": 0}
    assert Todo.objects.filter(kind="assign_surgeon").count() == 1 and first["opened"] == 1
