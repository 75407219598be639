"""One patient's whole pathway on the timeline (G1, G2): booking → notification → education → assessments →
application → schedule → admission → operation → discharge → follow-up, each node done by its own event, the
current node moving along as the care-pathway map's stage does."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.services import case_create, case_record_milestone, case_transition
from tests.builders import authenticate, make_patient, make_patient_account
from timeline.tests.conftest import states
from timeline.tests.helpers import append

pytestmark = pytest.mark.django_db


@pytest.mark.req("G1", "G2", "T1")
def test_the_timeline_follows_one_patient_through_the_whole_workflow(world, run):
    staff = authenticate(APIClient(), world["nurse"])
    patient = make_patient()
    patient_app = authenticate(APIClient(), make_patient_account(patient=patient))

    def current():
        timeline = staff.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
        own = patient_app.get(f"/api/v1/my/cases/{case.uuid}/timeline/").json()
        pathway = staff.get(f"/api/v1/cases/{case.uuid}/").json()["pathway"]
        return timeline["current"], own["current"], pathway.get("current")

    case = run(case_create, actor=world["nurse"], patient=patient, ward=world["ward"], surgeon=world["surgeon"],
               procedure_name="腹腔镜胆囊切除术", planned_date=timezone.localdate(), planned_session="am",
               anaesthesia_method="general")
    assert current()[0] == "booking"
    case = run(case_transition, case=case, transition="confirm", actor=world["nurse"])
    run(append, case, "messaging.message.sent", {"channel": "wechat", "kind": "booking_notice", "status": "sent"})
    staff_now, patient_now, pathway_now = current()
    assert staff_now == "preop_education" and patient_now == "preop_education"
    assert pathway_now == "anaesthesia_clinic"  # the coarser care-pathway map (G1) stays beside the timeline
    run(append, case, "education.material.read", {"kind": "preop", "material": "m1", "title": "术前须知"})
    run(case_record_milestone, case=case, milestone="anaesthesia_clinic", status="passed",
        actor=world["anaesthetist"])
    assert current()[0] == "preop_assessment"
    run(case_record_milestone, case=case, milestone="preop_assessment", status="passed", actor=world["surgeon"])
    run(case_transition, case=case, transition="send_application", actor=world["nurse"])
    assert current()[0] == "theatre_scheduling"
    run(case_transition, case=case, transition="theatre_scheduled", actor=world["nurse"])
    run(append, case, "stay.admission.registered", {"admission_no": "ZY1", "bed_no": "5", "his_visit_no": "V1"})
    run(case_transition, case=case, transition="admit", actor=world["nurse"])
    assert current()[0] == "operation"
    run(case_transition, case=case, transition="enter_theatre", actor=world["nurse"])
    assert states(case)["operation"] == "in_progress"
    run(case_transition, case=case, transition="finish_operation", actor=world["nurse"])
    run(append, case, "stay.discharge_assessment.recorded", {"score": 10, "passed": True, "tool": "pads"})
    run(append, case, "stay.discharge.instructions_given", {})
    run(case_transition, case=case, transition="discharge", actor=None)  # as reported by the HIS (ADT A03)
    assert current()[0] == "follow_up"
    run(case_transition, case=case, transition="start_follow_up", actor=world["nurse"])
    assert states(case)["follow_up"] == "in_progress"
    run(case_transition, case=case, transition="close", actor=world["nurse"])

    final = states(case)
    g2 = ["booking", "admission_registration", "notification", "preop_education", "discharge_education",
          "anaesthesia_assessment", "preop_assessment", "discharge_assessment", "application",
          "theatre_scheduling", "operation", "follow_up"]
    assert {key: final[key] for key in g2} == dict.fromkeys(g2, "done")
    assert current()[:2] == (None, None)
    # Every node's history names the event that completed it.
    body = staff.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    completed_by = {n["key"]: n["history"][-1]["event"]["type"] for n in body["nodes"]}
    assert completed_by["admission_registration"] == "stay.admission.registered"  # the first of its triggers
    assert completed_by["follow_up"] == "cases.case.closed"
    assert completed_by["discharge_education"] == "stay.discharge.instructions_given"
