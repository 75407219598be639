"""Test helpers of the booking policy: a hospital with procedures, surgeons, rules and grants."""

import itertools
from datetime import timedelta

from django.utils import timezone

from tests.builders import make_case, make_department, make_patient, make_staff, make_ward, valid_id_number

_seq = itertools.count(1)


def make_procedure(*, department, wards=(), grade=2, body_site="", admitted_doctors=(), is_active=True):
    from catalog.models import Procedure, ProcedureDoctor
    from catalog.services import procedure_create

    procedure = procedure_create(
        actor=None, code=f"BP.{next(_seq):04d}", name=f"测试手术{next(_seq)}", grade=grade, incision_class="I",
        department=department, wards=list(wards), is_active=is_active,
    )
    if body_site:
        Procedure.objects.filter(pk=procedure.pk).update(body_site=body_site)
    for doctor in admitted_doctors:
        ProcedureDoctor.objects.create(procedure=procedure, doctor=doctor)
    procedure.refresh_from_db()
    return procedure


def patient_aged(years, *, on=None, days_to_birthday=None):
    """A patient `years` old on `on` (default today); `days_to_birthday` puts the next birthday that far ahead."""
    on = on or timezone.localdate()
    if days_to_birthday is not None:
        next_birthday = on + timedelta(days=days_to_birthday)
        birth = next_birthday.replace(year=next_birthday.year - years - 1)
    else:
        birth = on.replace(year=on.year - years) - timedelta(days=1)
    return make_patient(id_number=valid_id_number(birth=birth.strftime("%Y%m%d")))


def draft_case(*, ward, surgeon, procedure=None, patient=None, planned_date=None, triage_level=None):
    """A draft case on `ward` for `surgeon` with an optional catalogue procedure and triage level."""
    from cases.models import SurgicalCase

    case = make_case("draft", ward=ward, surgeon=surgeon, patient=patient,
                     planned_date=planned_date or timezone.localdate() + timedelta(days=3))
    changes = {}
    if procedure is not None:
        changes.update(procedure=procedure, procedure_name=procedure.name, procedure_code=procedure.code)
    if triage_level is not None:
        changes["triage_level"] = triage_level
    if changes:
        SurgicalCase.objects.filter(pk=case.pk).update(**changes)
        case.refresh_from_db()
    return case


def world():
    """Two departments, a centre ward of the first admitting a procedure of it, surgeons and a nurse."""
    dept = make_department(name="普外科")
    other = make_department(name="骨科", hospital=dept.hospital)
    ward = make_ward(department=dept, name="日间手术中心")
    surgeon = make_staff("doctor", ward=ward, name="王主任")
    procedure = make_procedure(department=dept, wards=[ward], grade=2, body_site="腹部")
    return {"dept": dept, "other": other, "ward": ward, "surgeon": surgeon, "procedure": procedure,
            "hospital": dept.hospital}
