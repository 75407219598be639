"""The conclusion drives the pathway (A12): pass records the clinic milestone (the surgery application may go);
fail terminates the case and sends SMS to the surgeon and the patient through the SMS port (recorded by the
simulator), both on the case timeline. Sedated endoscopy: the ordering doctor and the medtech system."""

from datetime import timedelta

import pytest
from django.utils import timezone

from anaesthesia.models import AnaesthesiaAssessment, SedationAppointment
from anaesthesia.tests.conftest import complete_sections, phone, plain_case, save, start
from anaesthesia.tests.test_evaluation import evaluate
from cases.models import CaseEvent
from core.models import OutboxMessage
from core.outbox import deliver_message
from integrations.registry import get_port
from integrations.testing import sent_sms, sim_get
from tests.builders import authenticate, make_patient, make_staff

pytestmark = pytest.mark.django_db


def sedation_appointment(hospital_sim, clinic, *, offset=3):
    """A real appointment of the simulator's medtech list (so the result report is accepted), in the ward. The
    simulator is shared by a test session: each test uses its own day (`offset`) so the recorders do not mix."""
    day = timezone.localdate() + timedelta(days=offset)
    booking = next(b for b in get_port("medtech").list_sedation_appointments(on=day) if b.status == "booked")
    doctor = make_staff("doctor", ward=clinic["ward"], phone=phone(), name=booking.ordering_doctor_name)
    return SedationAppointment.objects.create(
        ward=clinic["ward"], patient=make_patient(reg_no=booking.reg_no, phone=phone()),
        appointment_no=booking.appointment_no, visit_no=booking.visit_no, procedure_kind=booking.procedure_kind,
        exam_code=booking.exam_code, exam_name=booking.exam_name, scheduled_at=booking.scheduled_at,
        location=booking.location, ordering_doctor=doctor, ordering_doctor_name=doctor.name,
    )


def evaluated(client, clinic, case):
    body = save(client, start(client, clinic, case), complete_sections())
    return evaluate(client, body)


def conclude(client, body, capture, *, expect=200, **data):
    with capture(execute=True):
        response = client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/conclude/", data, format="json")
    assert response.status_code == expect, response.content
    return response.json()


@pytest.mark.req("A12")
def test_pass_records_the_clinic_milestone_and_sends_no_sms(api_client, clinic, hospital_sim,
                                                            django_capture_on_commit_callbacks):
    case = plain_case(clinic)
    body = evaluated(api_client, clinic, case)
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="ASA Ⅱ级，可行日间手术")
    assert body["status"] == "passed" and body["concluded_by"]["name"] == "麻醉医生甲"
    case.refresh_from_db()
    assert case.anaesthesia_clinic_status == "passed" and case.state == "booked"
    event = CaseEvent.objects.get(case=case, type="cases.case.anaesthesia_clinic_recorded")
    assert event.payload["to"] == "passed" and event.actor_name == "麻醉医生甲"
    assert not sent_sms(hospital_sim, case.patient.phone) and not sent_sms(hospital_sim, clinic["surgeon"].phone)
    # the case may now go on to the surgery application
    authenticate(api_client, clinic["surgeon"])
    from cases.services import case_record_milestone

    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=clinic["surgeon"])
    response = api_client.post(f"/api/v1/cases/{case.uuid}/send-application/", {}, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.req("A12")
def test_fail_terminates_the_case_and_sms_the_surgeon_and_the_patient(api_client, clinic, hospital_sim,
                                                                     django_capture_on_commit_callbacks):
    case = plain_case(clinic)
    body = evaluated(api_client, clinic, case)
    missing_reason = conclude(api_client, body, django_capture_on_commit_callbacks, expect=400, result="fail",
                              opinion="不宜日间手术")
    assert "reason" in missing_reason["error"]["fields"]
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="fail",
                    opinion="不宜日间手术", reason="未控制的心力衰竭，建议心内科就诊后住院手术")
    assert body["status"] == "failed"
    case.refresh_from_db()
    assert case.state == "terminated" and case.anaesthesia_clinic_status == "failed"
    assert "未控制的心力衰竭" in case.end_reason
    [patient_sms] = sent_sms(hospital_sim, case.patient.phone)
    [surgeon_sms] = sent_sms(hospital_sim, clinic["surgeon"].phone)
    assert patient_sms["template"] == "anaesthesia_failed_patient"
    assert surgeon_sms["template"] == "anaesthesia_failed_doctor"
    assert patient_sms["params"]["reason"] == "未控制的心力衰竭，建议心内科就诊后住院手术"
    assert patient_sms["params"]["procedure"] == "腹腔镜胆囊切除术"
    deliveries = {n["recipient"]: n for n in api_client.get(
        f"/api/v1/anaesthesia-assessments/{body['uuid']}/").json()["notifications"]}
    assert deliveries["patient"]["status"] == "sent" and deliveries["patient"]["external_id"] == patient_sms[
        "message_id"]
    assert deliveries["surgeon"]["external_id"] == surgeon_sms["message_id"]
    # both SMS and the termination are on the case timeline
    authenticate(api_client, clinic["surgeon"])
    timeline = api_client.get(f"/api/v1/cases/{case.uuid}/events/").json()
    events = timeline["results"] if isinstance(timeline, dict) else timeline
    types = [e["type"] for e in events]
    assert "cases.case.terminated" in types
    sms_events = [e for e in events if e["type"] == "anaesthesia.clinic.sms_sent"]
    assert {e["payload"]["recipient"] for e in sms_events} == {"surgeon", "patient"}
    assert all(e["payload"]["status"] == "sent" for e in sms_events)
    # delivering the message again sends nothing more (idempotent per message and recipient)
    message = OutboxMessage.objects.get(topic="anaesthesia.assessment.concluded", key=body["uuid"])
    from core.models import OutboxDelivery

    OutboxDelivery.objects.filter(message=message).delete()
    deliver_message(message.pk)
    assert len(sent_sms(hospital_sim, case.patient.phone)) == 1
    assert CaseEvent.objects.filter(case=case, type="anaesthesia.clinic.sms_sent").count() == 2


@pytest.mark.req("A12")
def test_a_concluded_assessment_cannot_be_concluded_or_edited_again(api_client, clinic, hospital_sim,
                                                                    django_capture_on_commit_callbacks):
    body = evaluated(api_client, clinic, plain_case(clinic))
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可")
    again = conclude(api_client, body, django_capture_on_commit_callbacks, expect=409, result="fail", opinion="x",
                     reason="y")
    assert again["error"]["code"] == "assessment_concluded"
    assert save(api_client, body, {"body": {"height_cm": 150}}, expect=409)["error"]["code"] == "assessment_concluded"
    assert AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).status == "passed"
    assert OutboxMessage.objects.filter(topic="anaesthesia.assessment.concluded", key=body["uuid"]).count() == 1


@pytest.mark.req("A12", "A1")
def test_passing_against_a_not_suitable_disposition_needs_a_written_reason(api_client, clinic, hospital_sim,
                                                                            django_capture_on_commit_callbacks):
    body = evaluated(api_client, clinic, plain_case(clinic))
    summary = AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).risk_summary
    AnaesthesiaAssessment.objects.filter(uuid=body["uuid"]).update(risk_summary={**summary,
                                                                                 "disposition": "not_suitable"})
    refused = conclude(api_client, body, django_capture_on_commit_callbacks, expect=400, result="pass",
                       opinion="可行")
    assert refused["error"]["code"] == "override_reason_required"
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可行",
                    reason="心内科会诊意见：可耐受手术")
    assert body["conclusion_reason"] == "心内科会诊意见：可耐受手术"


@pytest.mark.req("A12")
def test_failed_sedation_assessment_tells_the_ordering_doctor_the_patient_and_the_medtech_system(
        api_client, clinic, hospital_sim, django_capture_on_commit_callbacks):
    appointment = sedation_appointment(hospital_sim, clinic)
    authenticate(api_client, clinic["anaesthetist"])
    body = api_client.post("/api/v1/anaesthesia-assessments/", {"sedation_appointment": str(appointment.uuid)},
                           format="json").json()
    body = evaluate(api_client, save(api_client, body, complete_sections(plan={"anaesthesia_plan": "mac_sedation"})))
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="fail", opinion="暂缓无痛检查",
                    reason="重度阻塞性睡眠呼吸暂停，需呼吸科评估")
    assert body["status"] == "failed"
    [doctor_sms] = sent_sms(hospital_sim, appointment.ordering_doctor.phone)
    [patient_sms] = sent_sms(hospital_sim, appointment.patient.phone)
    assert doctor_sms["template"] == "anaesthesia_failed_doctor" and patient_sms["params"]["procedure"] == \
        appointment.exam_name
    report = sim_get(hospital_sim, "medtech/sedation-results", appointment_no=appointment.appointment_no)["items"][-1]
    assert report["result"] == "failed"
    recipients = {n["recipient"]: n["status"] for n in body["notifications"]} or {
        n["recipient"]: n["status"] for n in api_client.get(
            f"/api/v1/anaesthesia-assessments/{body['uuid']}/").json()["notifications"]}
    assert recipients == {"ordering_doctor": "sent", "patient": "sent", "medtech": "sent"}


def test_the_queue_lists_cases_and_appointments_waiting_for_the_clinic(api_client, clinic, hospital_sim):
    waiting = plain_case(clinic)
    started = plain_case(clinic)
    appointment = sedation_appointment(hospital_sim, clinic, offset=4)
    body = start(api_client, clinic, started)
    other_ward_case = plain_case(clinic, ward=__import__("tests.builders", fromlist=["make_ward"]).make_ward())
    items = api_client.get("/api/v1/anaesthesia-clinic/queue/").json()
    by_uuid = {i["uuid"]: i for i in items}
    assert str(waiting.uuid) in by_uuid and by_uuid[str(waiting.uuid)]["assessment"] is None
    assert by_uuid[str(started.uuid)]["assessment"]["uuid"] == body["uuid"]
    assert by_uuid[str(appointment.uuid)]["kind"] == "sedation_appointment"
    assert str(other_ward_case.uuid) not in by_uuid
    only_started = api_client.get("/api/v1/anaesthesia-clinic/queue/?status=in_progress").json()
    assert [i["uuid"] for i in only_started] == [str(started.uuid)]
    day = timezone.localdate(appointment.scheduled_at)
    on_day = api_client.get(f"/api/v1/anaesthesia-clinic/queue/?date={day}").json()
    assert str(appointment.uuid) in {i["uuid"] for i in on_day} and str(waiting.uuid) not in {
        i["uuid"] for i in on_day}
    authenticate(api_client, clinic["nurse"])
    assert api_client.get("/api/v1/anaesthesia-clinic/queue/").status_code == 403


@pytest.mark.req("A12")
def test_a_passed_assessment_is_reopened_only_by_an_audited_amendment(api_client, clinic, hospital_sim,
                                                                     django_capture_on_commit_callbacks):
    from audit.models import AuditEntry

    case = plain_case(clinic)
    body = evaluated(api_client, clinic, case)
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可行日间手术")
    url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/amend/"
    assert api_client.post(url, {"reason": ""}, format="json").status_code == 400
    response = api_client.post(url, {"reason": "术前一周新发胸痛，需重新评估"}, format="json")
    assert response.status_code == 201, response.content
    amendment = response.json()
    assert amendment["status"] == "in_progress" and amendment["amends"] == body["uuid"]
    assert amendment["sections"] == body["sections"] and amendment["assessment_no"] == body["assessment_no"] + "-R1"
    case.refresh_from_db()
    assert case.anaesthesia_clinic_status == "pending"
    assert AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).status == "passed"  # the record stays
    assert AuditEntry.objects.filter(target_id=amendment["uuid"], detail="assessment re-opened").exists()
    assert api_client.post(url, {"reason": "again"}, format="json").status_code == 409
    # the surgeon still sees the concluded report, marked as being reviewed
    authenticate(api_client, clinic["surgeon"])
    report = api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report/").json()
    assert report["status"] == "passed" and report["superseded"]
    authenticate(api_client, clinic["anaesthetist"])
    amendment = evaluate(api_client, save(api_client, amendment, {"history": {"ischaemic_heart_disease": True}}))
    amendment = conclude(api_client, amendment, django_capture_on_commit_callbacks, result="fail",
                         opinion="暂缓手术", reason="不稳定型心绞痛待排")
    case.refresh_from_db()
    assert case.state == "terminated"
    assert api_client.post(f"/api/v1/anaesthesia-assessments/{amendment['uuid']}/amend/", {"reason": "x"},
                           format="json").status_code == 409  # a failed one ended its case


def test_a_second_amendment_is_numbered_from_the_original(api_client, clinic, hospital_sim,
                                                          django_capture_on_commit_callbacks):
    body = evaluated(api_client, clinic, plain_case(clinic))
    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可")
    first = api_client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/amend/", {"reason": "复查"},
                            format="json").json()
    first = conclude(api_client, evaluate(api_client, first), django_capture_on_commit_callbacks, result="pass",
                     opinion="可")
    second = api_client.post(f"/api/v1/anaesthesia-assessments/{first['uuid']}/amend/", {"reason": "再次复查"},
                             format="json")
    assert second.status_code == 201, second.content
    assert first["assessment_no"] == body["assessment_no"] + "-R1"
    assert second.json()["assessment_no"] == body["assessment_no"] + "-R2"  # not …-R1-R2
