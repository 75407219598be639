"""Sedated endoscopy appointments from the medical-tech appointment system (A11), over HTTP to the simulator:
the port, the idempotent import, cancellations, ward routing, the daily task and the API."""

from datetime import date, timedelta

import pytest
import requests
from django.test import override_settings
from django.utils import timezone

from anaesthesia.models import AnaesthesiaAssessment, SedationAppointment
from anaesthesia.sedation import SedationWardNotConfigured, sedation_appointments_import
from audit.models import AuditAction, AuditEntry
from cases.models import IdentifierSystem, PatientIdentifier
from clinical.tasks import sedation_appointments_import_task
from core.errors import ExternalServiceError
from integrations.registry import get_port
from integrations.testing import sim_get, sim_staff
from tests.builders import authenticate, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("A11")]


@pytest.fixture
def ward():
    ward = make_ward(code="SED-W")
    with override_settings(ANAESTHESIA_SEDATION_WARDS={"default": "SED-W"}):
        yield ward


def listed(day):
    return get_port("medtech").list_sedation_appointments(on=day)


def test_the_port_lists_a_deterministic_day_of_sedated_endoscopies(hospital_sim):
    day = date(2030, 3, 4)
    bookings = listed(day)
    assert 5 <= len(bookings) <= 7 and bookings == listed(day)  # the same list every time
    assert listed(day + timedelta(days=1)) != bookings
    roster = {s["employee_no"]: s for s in sim_staff(hospital_sim, role="doctor")}
    patients = {p["reg_no"]: p for p in sim_get(hospital_sim, "patients")["items"]}
    for b in bookings:
        assert b.appointment_no.startswith("SJ20300304") and b.scheduled_at.date() == day
        assert (b.exam_code, b.exam_name, b.procedure_kind) in {
            ("GASTRO-S", "无痛胃镜", "gastroscopy"), ("COLON-S", "无痛肠镜", "colonoscopy"),
            ("BRONCH-S", "无痛支气管镜", "bronchoscopy")}
        assert b.ordering_doctor_name == roster[b.ordering_doctor_employee_no]["name"]
        assert b.visit_no == patients[b.reg_no]["visit_nos"][-1] and b.status in ("booked", "cancelled")
    kinds = {b.procedure_kind for d in range(10) for b in listed(day + timedelta(days=d))}
    assert kinds == {"gastroscopy", "colonoscopy", "bronchoscopy"}


def test_assessment_results_are_reported_and_unknown_appointments_refused(hospital_sim):
    booking = next(b for b in listed(date(2030, 3, 5)) if b.status == "booked")
    medtech = get_port("medtech")
    medtech.report_sedation_assessment(appointment_no=booking.appointment_no, result="failed",
                                       note="STOP-Bang 6分，建议先行睡眠呼吸监测", idempotency_key="sed-r-1")
    medtech.report_sedation_assessment(appointment_no=booking.appointment_no, result="failed",
                                       note="STOP-Bang 6分，建议先行睡眠呼吸监测", idempotency_key="sed-r-1")  # a retry
    [record] = sim_get(hospital_sim, "medtech/sedation-results", appointment_no=booking.appointment_no)["items"]
    assert (record["result"], record["idempotency_key"]) == ("failed", "sed-r-1") and "STOP-Bang" in record["note"]
    for unknown in ("SJ2030030599", "SJ20301399" + "01", "NOPE"):
        with pytest.raises(ExternalServiceError) as refused:
            medtech.report_sedation_assessment(appointment_no=unknown, result="passed", note="",
                                               idempotency_key=f"sed-u-{unknown}")
        assert refused.value.extra["http_status"] == 404
    with pytest.raises(ValueError):
        medtech.report_sedation_assessment(appointment_no=booking.appointment_no, result="maybe", note="",
                                           idempotency_key="sed-r-2")


def test_import_creates_appointments_with_patients_doctors_and_ward(hospital_sim, ward):
    day = date(2030, 3, 6)
    bookings = listed(day)
    known_doctor = bookings[0].ordering_doctor_employee_no
    doctor = make_staff("doctor", employee_no=known_doctor, name="本院医生")
    anaesthetist = make_staff("anaesthetist", ward=ward)
    counts = sedation_appointments_import(on=day, actor=anaesthetist)
    cancelled = sum(b.status == "cancelled" for b in bookings)
    assert counts == {"date": "2030-03-06", "fetched": len(bookings), "created": len(bookings), "updated": 0,
                      "unchanged": 0, "cancelled": cancelled, "refused": []}
    rows = {r.appointment_no: r for r in SedationAppointment.objects.select_related("patient")}
    assert set(rows) == {b.appointment_no for b in bookings}
    for b in bookings:
        row = rows[b.appointment_no]
        assert row.ward == ward and row.patient.reg_no == b.reg_no and row.visit_no == b.visit_no
        assert (row.procedure_kind, row.exam_code, row.exam_name, row.scheduled_at, row.location, row.status) == (
            b.procedure_kind, b.exam_code, b.exam_name, b.scheduled_at, b.location, b.status)
        if b.ordering_doctor_employee_no == known_doctor:
            assert row.ordering_doctor == doctor and row.ordering_doctor_name == "本院医生"
        else:  # not a user of ours: the name as the appointment system gives it
            assert row.ordering_doctor is None and row.ordering_doctor_name == b.ordering_doctor_name
    # patients were resolved through the HIS, once each
    assert PatientIdentifier.objects.filter(system=IdentifierSystem.REG_NO).count() == len({b.reg_no for b in bookings})
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, target_type="anaesthesia.sedationappointment",
                                     actor_id=str(anaesthetist.uuid)).count() == len(bookings)


def test_import_is_idempotent_and_follows_cancellations(hospital_sim, ward):
    day = date(2030, 3, 7)
    first = sedation_appointments_import(on=day)
    again = sedation_appointments_import(on=day)
    assert (again["created"], again["updated"], again["unchanged"], again["cancelled"]) == (0, 0, first["fetched"], 0)
    assert SedationAppointment.objects.count() == first["fetched"]

    booked = next(b for b in listed(day) if b.status == "booked")
    requests.post(f"{hospital_sim}/_sim/medtech/sedation-appointments/{booked.appointment_no}/cancel",
                  timeout=5).raise_for_status()
    third = sedation_appointments_import(on=day)
    assert (third["updated"], third["cancelled"], third["unchanged"]) == (1, 1, first["fetched"] - 1)
    assert SedationAppointment.objects.get(appointment_no=booked.appointment_no).status == "cancelled"
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, target_type="anaesthesia.sedationappointment",
                                     after={"status": "cancelled"}).count() == 1


def test_an_appointment_no_longer_listed_is_marked_cancelled(hospital_sim, ward):
    day = date(2030, 3, 8)
    sedation_appointments_import(on=day)
    template = SedationAppointment.objects.first()
    gone = SedationAppointment.objects.create(
        ward=ward, patient=template.patient, appointment_no="SJ2030030899", procedure_kind="gastroscopy",
        exam_code="GASTRO-S", exam_name="无痛胃镜", scheduled_at=template.scheduled_at)
    other_day = SedationAppointment.objects.create(
        ward=ward, patient=template.patient, appointment_no="SJ2030030999", procedure_kind="gastroscopy",
        exam_code="GASTRO-S", exam_name="无痛胃镜", scheduled_at=template.scheduled_at + timedelta(days=1))
    counts = sedation_appointments_import(on=day)
    assert counts["cancelled"] == 1
    gone.refresh_from_db()
    other_day.refresh_from_db()
    assert gone.status == "cancelled" and other_day.status == "booked"


def test_wards_are_chosen_by_exam_code(hospital_sim, ward):
    bronchoscopy_ward = make_ward(code="SED-RESP")
    day = next(date(2030, 4, 1) + timedelta(days=d) for d in range(30)
               if {b.procedure_kind for b in listed(date(2030, 4, 1) + timedelta(days=d))} >= {"bronchoscopy",
                                                                                                "gastroscopy"})
    with override_settings(ANAESTHESIA_SEDATION_WARDS={"default": "SED-W", "BRONCH-S": "SED-RESP"}):
        sedation_appointments_import(on=day)
    wards = {r.procedure_kind: r.ward for r in SedationAppointment.objects.all()}
    assert wards["bronchoscopy"] == bronchoscopy_ward and wards["gastroscopy"] == ward


def test_an_unconfigured_ward_is_refused_before_anything_is_fetched(hospital_sim):
    with override_settings(ANAESTHESIA_SEDATION_WARDS={"default": "NO-SUCH-WARD"}):
        with pytest.raises(SedationWardNotConfigured) as refused:
            sedation_appointments_import(on=date(2030, 3, 9))
    assert refused.value.extra["missing_wards"] == ["NO-SUCH-WARD"]
    assert not SedationAppointment.objects.exists()


def test_the_daily_task_imports_tomorrow_and_the_day_after(hospital_sim, ward):
    today = timezone.localdate()
    results = sedation_appointments_import_task.apply().get()
    assert [r["date"] for r in results] == [(today + timedelta(days=d)).isoformat() for d in (1, 2)]
    expected = {b.appointment_no for d in (1, 2) for b in listed(today + timedelta(days=d))}
    assert set(SedationAppointment.objects.values_list("appointment_no", flat=True)) == expected


# --- API ------------------------------------------------------------------------------------------------------------
def test_list_is_scoped_masked_and_filtered(hospital_sim, ward, api_client):
    day = timezone.localdate() + timedelta(days=3)
    sedation_appointments_import(on=day)
    rows = list(SedationAppointment.objects.select_related("patient"))
    client = authenticate(api_client, make_staff("anaesthetist", ward=ward))
    res = client.get("/api/v1/sedation-appointments/", {"date": day.isoformat(), "page_size": 50})
    assert res.status_code == 200 and res.json()["count"] == len(rows)
    first = res.json()["results"][0]
    names = {r.patient.name for r in rows}
    assert first["patient_name"] not in names and first["patient_name"][0] + "*" in {n[0] + "*" for n in names}
    assert not any(r.patient.reg_no in res.content.decode() for r in rows)  # no identifiers in the list
    booked = client.get("/api/v1/sedation-appointments/", {"status": "booked", "date": day.isoformat()}).json()
    assert booked["count"] == sum(r.status == "booked" for r in rows)
    assert client.get("/api/v1/sedation-appointments/", {"date": (day + timedelta(days=40)).isoformat()}).json()[
        "count"] == 0
    assert client.get("/api/v1/sedation-appointments/", {"date": "tomorrow"}).status_code == 400

    assert {r["assessment"] for r in res.json()["results"]} == {None}
    assessment = AnaesthesiaAssessment.objects.create(ward=ward, patient=rows[0].patient, sedation_appointment=rows[0],
                                                      procedure_kind=rows[0].procedure_kind)
    worklist = {r["uuid"]: r for r in client.get("/api/v1/sedation-appointments/", {"date": day.isoformat()}).json()[
        "results"]}
    assert (worklist[str(rows[0].uuid)]["assessment"], worklist[str(rows[0].uuid)]["assessment_status"]) == (
        str(assessment.uuid), "in_progress")

    detail = client.get(f"/api/v1/sedation-appointments/{rows[0].uuid}/")
    assert detail.status_code == 200 and detail.json()["patient_name"] == rows[0].patient.name
    assert detail.json()["reg_no"] == rows[0].patient.reg_no
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(rows[0].uuid)).exists()

    outsider = authenticate(api_client, make_staff("anaesthetist", ward=make_ward()))
    assert outsider.get("/api/v1/sedation-appointments/", {"date": day.isoformat()}).json()["count"] == 0
    assert outsider.get(f"/api/v1/sedation-appointments/{rows[0].uuid}/").status_code == 404


def test_import_endpoint_permission_validation_and_counts(hospital_sim, ward, api_client):
    day = timezone.localdate() + timedelta(days=4)
    nurse = authenticate(api_client, make_staff("nurse", ward=ward))
    assert nurse.post("/api/v1/sedation-appointments/import/", {"date": day.isoformat()},
                      format="json").status_code == 403
    client = authenticate(api_client, make_staff("anaesthetist", ward=ward))
    res = client.post("/api/v1/sedation-appointments/import/", {"date": day.isoformat()}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["created"] == res.json()["fetched"] == len(listed(day)) and res.json()["refused"] == []
    for bad in ({}, {"date": "2026-13-01"}, {"date": (timezone.localdate() + timedelta(days=400)).isoformat()}):
        refused = client.post("/api/v1/sedation-appointments/import/", bad, format="json")
        assert refused.status_code == 400 and "date" in refused.json()["error"]["fields"], bad
    admin = authenticate(api_client, make_staff("hospital_admin"))
    assert admin.post("/api/v1/sedation-appointments/import/", {"date": day.isoformat()},
                      format="json").json()["unchanged"] == len(listed(day))
