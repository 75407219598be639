"""One patient from the HIS outpatient workstation to discharge, through the public API only.

The hospital systems are the simulator over real HTTP (HIS launch and ADT, LIS/PACS results, the theatre scheduler);
every step is done by the role that does it in a hospital, with that role's token. Along the way the derived views
(bed card, virtual beds, timeline for staff and patient, theatre schedule, length-of-stay clock) are read back the
way the screens read them.
"""

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from booking.signing import signed_headers
from cases.models import CaseEvent
from integrations.testing import sim_patients
from tests.builders import authenticate, make_department, make_patient_account, make_staff, make_ward

pytestmark = [pytest.mark.django_db(transaction=True)]  # commits for real: the outbox delivers after each one

HIS_CLIENT, HIS_SECRET = "his-ws-pathway", "pathway-secret"
LAUNCH = "/api/v1/his-launches/"
SIM_PATIENT = 47  # a simulated patient no other test books


@pytest.fixture
def hospital(settings):
    from catalog.services import procedure_create

    settings.BOOKING_HIS_CLIENTS = {HIS_CLIENT: HIS_SECRET}
    ward = make_ward(department=make_department(name="普外科"), name="日间手术中心一病区")
    people = {
        "doctor": make_staff("doctor", ward=ward, employee_no="D0101", name="李医生"),
        "nurse": make_staff("nurse", ward=ward, name="王护士"),
        "anaesthetist": make_staff("anaesthetist", ward=ward, name="赵麻醉"),
    }
    procedure = procedure_create(
        actor=None, code="51.2300", name="腹腔镜胆囊切除术", grade=3, incision_class="II",
        department=ward.department, wards=[ward], default_duration_minutes=45, body_site="腹部",
        anaesthesia_methods=["general"], notice_text="术前8小时禁食，携带身份证。",
    )
    return {"ward": ward, "procedure": procedure, **people}


def _as(user):
    return authenticate(APIClient(), user)


def _ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.content.decode()
    return response.json()


def _launch(his_patient):
    body = {"reg_no": his_patient["reg_no"], "visit_no": his_patient["visit_nos"][-1], "doctor_employee_no": "D0101"}
    raw = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(HIS_CLIENT, HIS_SECRET, method="POST", path=LAUNCH, body=raw)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return APIClient().generic("POST", LAUNCH, data=raw, content_type="application/json", **meta)


def _node_states(client, case):
    nodes = _ok(client.get(f"/api/v1/cases/{case}/timeline-nodes/"))
    nodes = nodes["nodes"] if isinstance(nodes, dict) else nodes
    return {node["key"]: node["state"] for node in nodes}


@pytest.mark.req("G1", "G2", "P1", "P2", "P4", "S1", "D1", "G3", "T1")
def test_one_patient_from_booking_to_discharge_through_the_api(hospital, hospital_sim):
    his_patient = sim_patients(hospital_sim)[SIM_PATIENT]
    doctor, nurse, anaesthetist = _as(hospital["doctor"]), _as(hospital["nurse"]), _as(hospital["anaesthetist"])
    today = timezone.localdate()

    # 1. The HIS outpatient workstation opens a pre-filled booking; the doctor's browser redeems the link.
    launched = _ok(_launch(his_patient), 201)
    ticket = parse_qs(urlparse(launched["link"]).query)["ticket"][0]
    session = _ok(APIClient().post("/api/v1/launch-tickets/redeem/", {"ticket": ticket}, format="json"))
    browser = APIClient()
    browser.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    case = launched["draft"]
    _ok(browser.patch(f"/api/v1/bookings/{case}/", {
        "procedure": str(hospital["procedure"].uuid), "anaesthesia_method": "general",
        "planned_date": str(today), "planned_session": "am",
    }, format="json"))
    booked = _ok(browser.post(f"/api/v1/bookings/{case}/confirm/", {}, format="json"))
    assert booked["state"] == "booked"

    # The patient logs in to the app (bound to their hospital record) and sees their own timeline.
    from cases.models import SurgicalCase

    patient = SurgicalCase.objects.get(uuid=case).patient
    patient_app = authenticate(APIClient(), make_patient_account(patient=patient))
    own = _ok(patient_app.get(f"/api/v1/my/cases/{case}/timeline/"))
    assert own["nodes"][0]["key"] == "booking" and own["nodes"][0]["state"] == "done"

    # 2. The virtual bed board shows the patient on today's beds, with a card.
    board = _ok(nurse.get("/api/v1/virtual-beds/", {"ward": str(hospital["ward"].uuid), "date": str(today)}))
    assert case in json.dumps(board)
    card = _ok(nurse.get(f"/api/v1/bed-cards/{case}/"))
    assert card["state"] == "booked" and card["assessment"]["preop_assessment_status"] == "pending"

    # 3. The application cannot go before the doctor's assessment (P4).
    refused = nurse.post(f"/api/v1/cases/{case}/send-application/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "preop_assessment_missing"

    # 4. The anaesthesia clinic passes the patient; the doctor pulls this visit's results and assesses.
    _ok(anaesthetist.post(f"/api/v1/cases/{case}/milestones/",
                          {"milestone": "anaesthesia_clinic", "status": "passed"}, format="json"))
    mine = _ok(doctor.get("/api/v1/doctor/patients/", {"date": str(today)}))
    assert case in json.dumps(mine)
    _ok(doctor.post(f"/api/v1/doctor/cases/{case}/results/pull/", {}, format="json"))
    workspace = _ok(doctor.get(f"/api/v1/doctor/cases/{case}/"))
    assert json.dumps(workspace, ensure_ascii=False).count("report_no") >= 1  # this visit's LIS/PACS reports
    _ok(doctor.post(f"/api/v1/doctor/cases/{case}/assessment/", {"decision": "passed", "note": "可行日间手术"},
                    format="json"), 201)

    # 5. The application goes to the theatre system, which schedules it (polled through the API).
    _ok(nurse.post(f"/api/v1/cases/{case}/send-application/", {}, format="json"))
    deadline = time.monotonic() + 15
    while True:
        state = _ok(nurse.get(f"/api/v1/cases/{case}/"))["state"]
        if state == "scheduled" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
        nurse.post(f"/api/v1/cases/{case}/theatre-applications/refresh/", {}, format="json")
    assert state == "scheduled"
    schedule = _ok(nurse.get("/api/v1/theatre-schedule/", {"date": str(today), "reg_no": his_patient["reg_no"]}))
    assert "scheduled" in json.dumps(schedule)

    # 6. Admission through the HIS ADT, then the theatre times, PADS and discharge with instructions.
    now = timezone.now()
    admitted_at = now - timedelta(hours=4)
    _ok(nurse.post(f"/api/v1/cases/{case}/admission/", {"admitted_at": admitted_at.isoformat()}, format="json"),
        201)
    points = ["suite_in", "room_in", "anaesthesia_start", "incision", "surgery_end", "anaesthesia_end", "room_out",
              "recovery_in", "recovery_out"]
    times = {p: (admitted_at + timedelta(minutes=60 + 10 * i)).isoformat() for i, p in enumerate(points)}
    _ok(nurse.post(f"/api/v1/cases/{case}/theatre-times/", {"times": times}, format="json"))
    assert _ok(nurse.get(f"/api/v1/cases/{case}/"))["state"] == "operated"
    stay = _ok(nurse.get(f"/api/v1/cases/{case}/stay/"))
    assert stay["admission"]["admission_no"] and [t["point"] for t in stay["theatre_times"]] == points
    assert stay["los"]["running"] and stay["los"]["level"] == "none"  # the 24/48 h clock runs from admission
    assert stay["los"]["deadline_48h"].startswith(str(timezone.localtime(admitted_at + timedelta(hours=48)).date()))
    _ok(nurse.post(f"/api/v1/cases/{case}/discharge-assessments/", {
        "vital_signs": 2, "activity": 2, "nausea_vomiting": 2, "pain": 1, "surgical_bleeding": 2,
    }, format="json"), 201)
    _ok(doctor.post(f"/api/v1/cases/{case}/discharge-with-instructions/", {
        "disposition": "1", "instructions": {"wound_care": "保持伤口干燥", "warning_signs": "发热、出血及时就诊"},
    }, format="json"), 201)
    final = _ok(nurse.get(f"/api/v1/cases/{case}/"))
    assert final["state"] == "discharged"

    # The whole history is there, in order, from booking to discharge.
    types = list(CaseEvent.objects.filter(case__uuid=case).order_by("sequence").values_list("type", flat=True))
    for expected in ["cases.case.booked", "cases.case.anaesthesia_clinic_recorded",
                     "cases.case.preop_assessment_recorded", "cases.case.application_sent",
                     "cases.case.theatre_scheduled", "cases.case.admitted", "stay.admission.registered",
                     "cases.case.entered_theatre", "cases.case.operated", "stay.discharge_assessment.recorded",
                     "cases.case.discharged"]:
        assert expected in types, (expected, types)
    order = [types.index(t) for t in ("cases.case.booked", "cases.case.application_sent",
                                      "cases.case.theatre_scheduled", "cases.case.admitted", "cases.case.discharged")]
    assert order == sorted(order)
    states = _node_states(nurse, case)
    for key in ("booking", "anaesthesia_assessment", "preop_assessment", "application", "theatre_scheduling",
                "admission_registration", "discharge_assessment"):
        assert states[key] == "done", (key, states)
    assert states["follow_up"] == "pending"
    # The patient's own timeline shows patient nodes in patient wording; staff-only steps are not in it.
    own = _ok(patient_app.get(f"/api/v1/my/cases/{case}/timeline/"))
    patient_nodes = {node["key"]: node for node in own["nodes"]}
    assert patient_nodes["admission_registration"]["state"] == "done" and "discharge_assessment" not in patient_nodes
    assert patient_nodes["follow_up"]["state"] == "pending"

    # The bed card: the doctor's decision, the message already sent, and an alert icon for each flagged category.
    card = _ok(nurse.get(f"/api/v1/bed-cards/{case}/"))
    assert card["state"] == "discharged" and card["assessment"]["preop_assessment_status"] == "passed"
    from booking.models import BookingDelivery

    assert [icon["key"] for icon in card["icons"]["lookup"]] == ["messages_sent"], (
        list(BookingDelivery.objects.filter(case__uuid=case).values("channel", "status", "detail")), types)
    flagged = CaseEvent.objects.filter(case__uuid=case, type="clinical.findings.flagged").order_by("-sequence").first()
    categories = set(flagged.payload["categories"]) if flagged else set()
    alert_keys = {icon["key"] for icon in card["icons"]["alert"]}
    expected_alerts = {"lab_threshold": "lab_abnormal", "exam_keyword": "exam_abnormal", "infectious": "infectious"}
    assert alert_keys == {expected_alerts[c] for c in categories}
