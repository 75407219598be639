"""The one scoping mechanism (U2): own wards, department wards, management-mode narrowing, view-all, disabled."""

import pytest

from accounts.models import FunctionPermission
from core.errors import NotFound
from org.models import ManagementMode, Ward
from org.scoping import get_scoped_or_404, scope_queryset, ward_scope_for
from tests.builders import make_department, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("U2")]


@pytest.fixture
def layout():
    """Two departments; the first has a ward of every management mode, the second one centre ward."""
    surgery = make_department(name="普外科")
    eye = make_department(name="眼科")
    return {
        "centre": make_ward(ManagementMode.CENTRE, surgery),
        "ward": make_ward(ManagementMode.WARD, surgery),
        "outpatient": make_ward(ManagementMode.OUTPATIENT, surgery),
        "eye": make_ward(ManagementMode.CENTRE, eye),
        "surgery": surgery,
        "eye_dept": eye,
    }


def ids(*wards):
    return frozenset(w.id for w in wards)


def test_three_management_modes_exist():
    assert set(ManagementMode.values) == {"centre", "ward", "outpatient"}


def test_own_wards_only_when_no_department(layout):
    nurse = make_staff("nurse")
    nurse.wards.add(layout["eye"])
    scope = ward_scope_for(nurse)
    assert not scope.all_wards and scope.ward_ids == ids(layout["eye"])
    assert list(scope_queryset(Ward.objects.all(), nurse, ward_field="pk")) == [layout["eye"]]


def test_department_wards_are_in_scope(layout):
    doctor = make_staff("doctor", department=layout["surgery"])
    assert ward_scope_for(doctor).ward_ids == ids(layout["centre"], layout["ward"], layout["outpatient"])
    assert not ward_scope_for(doctor).allows_ward(layout["eye"].id)


def test_management_modes_narrow_the_scope(layout):
    doctor = make_staff("doctor", department=layout["surgery"], management_modes=["outpatient"])
    doctor.wards.add(layout["eye"])  # a centre ward: outside the user's modes, so still invisible
    assert ward_scope_for(doctor).ward_ids == ids(layout["outpatient"])
    other = make_staff("doctor", department=layout["surgery"], management_modes=["centre", "ward"])
    assert ward_scope_for(other).ward_ids == ids(layout["centre"], layout["ward"])


def test_modes_are_isolated_from_each_other(layout):
    """A user of the day-surgery centre never reaches a day ward or outpatient ward of the same department."""
    centre_nurse = make_staff("nurse", ward=layout["centre"], department=make_department(name="护理部"),
                              management_modes=["centre"])
    qs = Ward.objects.all()
    assert set(scope_queryset(qs, centre_nurse, ward_field="pk")) == {layout["centre"]}
    with pytest.raises(NotFound):
        get_scoped_or_404(qs, centre_nurse, ward_field="pk", pk=layout["ward"].pk)
    assert get_scoped_or_404(qs, centre_nurse, ward_field="pk", pk=layout["centre"].pk) == layout["centre"]


def test_view_all_wards_permission(layout):
    quality = make_staff("quality_manager")
    assert ward_scope_for(quality).all_wards
    assert scope_queryset(Ward.objects.all(), quality, ward_field="pk").count() == Ward.objects.count()
    doctor = make_staff("doctor", department=layout["eye_dept"])
    assert not ward_scope_for(doctor).all_wards
    doctor.extra_permissions.add(FunctionPermission.objects.get(slug="org.view_all_wards"))
    doctor = type(doctor).objects.get(pk=doctor.pk)  # a fresh principal: the scope is cached per object
    assert ward_scope_for(doctor).all_wards


def test_disabled_and_anonymous_see_nothing(layout):
    from django.contrib.auth.models import AnonymousUser

    admin = make_staff("hospital_admin", ward=layout["centre"])
    admin.is_active = False
    admin.save()
    admin = type(admin).objects.get(pk=admin.pk)
    assert ward_scope_for(admin).ward_ids == frozenset() and not ward_scope_for(admin).all_wards
    assert scope_queryset(Ward.objects.all(), admin, ward_field="pk").count() == 0
    assert scope_queryset(Ward.objects.all(), AnonymousUser(), ward_field="pk").count() == 0
    assert scope_queryset(Ward.objects.all(), None, ward_field="pk").count() == 0
