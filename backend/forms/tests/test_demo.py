"""The demo seed of the forms context runs through the services and is idempotent."""

import pytest

from forms.demo import seed_forms
from forms.models import FormAssignment
from tests.builders import make_case


@pytest.mark.req("PA2")
def test_seed_forms_is_idempotent(ward, doctor):
    for state in ("booked", "scheduled", "discharged"):
        make_case(state, ward=ward, surgeon=doctor)
    hospital = ward.department.hospital
    first = seed_forms(hospital, write=lambda *_: None)
    count = FormAssignment.objects.count()
    assert first["custom_pushed"] == 1 and count >= 3
    again = seed_forms(hospital, write=lambda *_: None)
    assert again["custom_pushed"] == 0 and again["default_forms_changed"] == 0
    assert FormAssignment.objects.count() == count
