"""The hospital simulator on its own: deterministic data, valid identifiers, HTTP behaviour, recorders, CLI."""

import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import requests

from hospital_sim.data import DEPARTMENTS, Hospital, id_check_char
from hospital_sim.server import start_in_thread

BACKEND = Path(__file__).resolve().parents[2]
ANCHOR = date(2026, 6, 1)


def valid_id(value):
    return bool(re.fullmatch(r"\d{17}[\dX]", value)) and id_check_char(value[:17]) == value[17]


@pytest.fixture(scope="module")
def sim():
    server, thread = start_in_thread(anchor=ANCHOR, theatre_delay=0.2)
    yield server.base_url
    server.shutdown()
    server.server_close()


def test_same_seed_same_hospital_and_another_seed_differs():
    a, b = Hospital(anchor=ANCHOR), Hospital(anchor=ANCHOR)
    assert [(p.name, p.id_number, p.phone) for p in a.patients] == [(p.name, p.id_number, p.phone) for p in b.patients]
    assert [s.id_number for s in a.staff] == [s.id_number for s in b.staff]
    assert [p.id_number for p in Hospital(seed=7, anchor=ANCHOR).patients] != [p.id_number for p in a.patients]


def test_synthetic_people_are_plausible():
    h = Hospital(anchor=ANCHOR)
    assert len(h.patients) == 200 and 40 <= len(h.staff) <= 45
    people = h.patients + h.staff
    assert all(valid_id(p.id_number) for p in people)
    assert all(re.fullmatch(r"1[3-9]\d{9}", p.phone) for p in people)
    assert len({p.phone for p in people}) == len(people) and len({p.reg_no for p in h.patients}) == 200
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p.name) for p in people)
    for p in h.patients:  # the ID number encodes birth date and sex
        assert p.id_number[6:14] == p.birth_date.strftime("%Y%m%d")
        assert int(p.id_number[16]) % 2 == (1 if p.sex == "M" else 0)
    assert {s.department_code for s in h.staff} <= set(DEPARTMENTS)
    roles = Counter(s.role for s in h.staff)
    assert roles["doctor"] == 24 and roles["anaesthetist"] and roles["followup_nurse"] and roles["quality_manager"]


def test_catalogue_and_results():
    h = Hospital(anchor=ANCHOR)
    assert len(h.procedures) >= 60 and len({p[0] for p in h.procedures}) == len(h.procedures)
    assert all(re.fullmatch(r"\d{2}\.\d{1,2}", code) and 1 <= grade <= 4 and incision in ("0", "I", "II", "III")
               for code, _, grade, incision, _ in h.procedures)
    flags = Counter(item["flag"] for report in h.labs for item in report.items)
    assert set(flags) == {"N", "H", "L", "HH", "LL", ""} and flags["N"] > sum(flags.values()) / 2
    # urinalysis: every third patient, text results and items sent without interpretation
    urine = [r for r in h.labs if r.panel == "URINE"]
    assert len(urine) == 200 // 3 and {r.reg_no for r in urine} == {p.reg_no for p in h.patients if p.index % 3 == 0}
    assert {item["value"] for r in urine for item in r.items if item.get("text")} == {"阴性", "阳性(+)"}
    assert all(v.started_at.date() <= ANCHOR for v in h.visits.values())


def test_bad_requests_get_4xx_json(sim):
    cases = [
        requests.get(f"{sim}/nowhere", timeout=5),
        requests.post(f"{sim}/sms/messages", data=b"{not json", timeout=5),
        requests.post(f"{sim}/sms/messages", json={"phone": "123", "template": "x"}, timeout=5),
        requests.post(f"{sim}/sms/messages", json={"template": "x"}, timeout=5),
        requests.get(f"{sim}/fhir/Patient", timeout=5),
        requests.post(f"{sim}/theatre/applications", json={"application_no": "A"}, timeout=5),
        requests.delete(f"{sim}/fhir/Patient", timeout=5),
        requests.post(f"{sim}/ca/signatures", json={"signer_id": "E0001", "document_hash": "zz"}, timeout=5),
    ]
    assert [r.status_code for r in cases] == [404, 400, 400, 400, 400, 400, 405, 400]
    assert all(r.headers["Content-Type"].startswith(("application/json", "application/fhir+json")) for r in cases)
    assert cases[4].json()["resourceType"] == "OperationOutcome"
    assert cases[1].json()["error"]["code"] == "invalid_json"


def test_idempotency_key_replays_the_first_answer(sim):
    body = {"phone": "13811112222", "template": "t", "params": {}}
    first = requests.post(f"{sim}/sms/messages", json=body, headers={"Idempotency-Key": "same"}, timeout=5).json()
    second = requests.post(f"{sim}/sms/messages", json=body, headers={"Idempotency-Key": "same"}, timeout=5).json()
    third = requests.post(f"{sim}/sms/messages", json=body, headers={"Idempotency-Key": "other"}, timeout=5).json()
    assert first == second and third["message_id"] != first["message_id"]
    sent = requests.get(f"{sim}/_sim/sms", params={"phone": "13811112222"}, timeout=5).json()["items"]
    assert len(sent) == 2


def test_faults_then_recovery(sim):
    requests.post(f"{sim}/_sim/faults", json={"path": "/_sim/health", "status": 503, "count": 1}, timeout=5)
    assert requests.get(f"{sim}/_sim/health", timeout=5).status_code == 503
    assert requests.get(f"{sim}/_sim/health", timeout=5).json()["anchor_date"] == "2026-06-01"


def test_theatre_scheduler_assigns_rooms_in_sequence_after_the_delay(sim):
    # Time is moved by the delay setting, not by sleeping: a loaded CI machine may take longer than any short
    # delay to send six requests, and "nothing scheduled yet" would then fail.
    requests.post(f"{sim}/_sim/config", json={"theatre_delay_seconds": 3600}, timeout=5).raise_for_status()
    for n in range(6):
        requests.post(f"{sim}/theatre/applications", timeout=5, json={
            "application_no": f"T{n}", "reg_no": "0001000001", "procedure_code": "13.41",
            "surgeon_employee_no": "E0009", "planned_date": "2031-02-03", "estimated_minutes": 45})
    assert requests.get(f"{sim}/theatre/schedule", params={"date": "2031-02-03"}, timeout=5).json()["items"] == []
    requests.post(f"{sim}/_sim/config", json={"theatre_delay_seconds": 0}, timeout=5).raise_for_status()
    items = requests.get(f"{sim}/theatre/schedule", params={"date": "2031-02-03"}, timeout=5).json()["items"]
    assert [(i["application_no"], i["room"], i["sequence"]) for i in items] == [
        ("T0", "OR-01", 1), ("T4", "OR-01", 2), ("T1", "OR-02", 1), ("T5", "OR-02", 2), ("T2", "OR-03", 1),
        ("T3", "OR-04", 1)]
    assert items[1]["scheduled_start"] == "2031-02-03T09:00:00+08:00"  # 08:00 + 45 min + 15 min turnover


def test_wechat_endpoints_behave_like_wechat(sim):
    token = requests.get(f"{sim}/wechat/cgi-bin/token", params={"grant_type": "client_credential", "appid": "wx1",
                                                                "secret": "s"}, timeout=5).json()
    assert token["expires_in"] == 7200
    no_token = requests.post(f"{sim}/wechat/wxa/business/getuserphonenumber", json={"code": "phonecode-1"},
                             timeout=5).json()
    assert no_token["errcode"] == 40001
    bad = requests.get(f"{sim}/wechat/sns/jscode2session", params={"appid": "wx1", "secret": "s", "js_code": "x"},
                       timeout=5).json()
    assert bad["errcode"] == 40029
    phone = requests.post(f"{sim}/wechat/wxa/business/getuserphonenumber", params={"access_token":
                          token["access_token"]}, json={"code": "phonecode-1"}, timeout=5).json()
    first = requests.get(f"{sim}/_sim/patients", timeout=5).json()["items"][0]
    assert phone["phone_info"]["purePhoneNumber"] == first["phone"]


def test_cli_starts_a_server():
    proc = subprocess.Popen([sys.executable, "-m", "hospital_sim", "--port", "0"], cwd=BACKEND,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://[\d.]+:\d+", line).group(0)
        assert requests.get(f"{url}/_sim/health", timeout=5).json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_root_lists_the_service_bases(sim):
    body = requests.get(f"{sim}/", timeout=5).json()
    assert body["service"] == "hospital simulator" and body["bases"]["fhir"] == "/fhir"


def test_procedure_catalogue_has_a_version_answers_304_and_changes_at_runtime(sim):
    url = f"{sim}/fhir/CodeSystem/day-surgery-procedures"
    first = requests.get(url, timeout=5)
    etag = first.headers["ETag"]
    phaco = next(c for c in first.json()["concept"] if c["code"] == "13.41")
    props = [(p["code"], next(v for k, v in p.items() if k.startswith("value"))) for p in phaco["property"]]
    assert ("body-site", "眼") in props and ("duration", 30) in props and ("anaesthesia", "局部麻醉") in props
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=5).status_code == 304
    try:
        changed = requests.post(f"{sim}/_sim/procedures", json={"code": "13.41", "grade": 4}, timeout=5).json()
        assert next(i for i in changed["items"] if i["code"] == "13.41")["grade"] == 4
        again = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
        assert again.status_code == 200 and again.headers["ETag"] != etag
        requests.delete(f"{sim}/_sim/procedures/13.41", timeout=5)
        assert all(c["code"] != "13.41" for c in requests.get(url, timeout=5).json()["concept"])
    finally:
        requests.delete(f"{sim}/_sim/procedures", timeout=5)
    assert requests.get(url, timeout=5).headers["ETag"] == etag  # the original catalogue, the original version


def test_test_package_plan_definition_is_stored_and_versioned(sim):
    body = {"resourceType": "PlanDefinition", "id": "dsp-86.3",
            "identifier": [{"system": "https://fhir.hospital.example/sid/day-surgery-test-package", "value": "86.3"}],
            "action": [{"title": "血常规", "code": [{"coding": [{"code": "CBC"}]}]}]}
    url = f"{sim}/fhir/PlanDefinition/dsp-86.3"
    assert requests.put(url, json=body, timeout=5).status_code == 201
    second = requests.put(url, json=body, timeout=5)
    assert second.status_code == 200 and second.json()["meta"]["versionId"] == "2"
    assert [p["id"] for p in requests.get(f"{sim}/_sim/test-packages", params={"code": "86.3"}, timeout=5).json()["items"]] == ["dsp-86.3"]
    assert requests.put(f"{sim}/fhir/PlanDefinition/other", json=body, timeout=5).status_code == 400  # id mismatch
    assert requests.put(url, json={**body, "identifier": []}, timeout=5).status_code == 400


def test_sedation_lists_are_a_function_of_seed_and_date(sim):
    a, b = Hospital(anchor=ANCHOR), Hospital(anchor=date(2020, 1, 1))
    day = date(2026, 6, 3)
    assert a.sedation_appointments(day) == b.sedation_appointments(day)  # not tied to the anchor either
    assert Hospital(seed=7, anchor=ANCHOR).sedation_appointments(day) != a.sedation_appointments(day)
    served = requests.get(f"{sim}/medtech/sedation-appointments", params={"date": "2026-06-03"}, timeout=5).json()
    assert [x["appointment_no"] for x in served["items"]] == [x["appointment_no"] for x in a.sedation_appointments(day)]


def test_sedation_endpoints_refuse_bad_requests(sim):
    items = requests.get(f"{sim}/medtech/sedation-appointments", params={"date": "2026-06-10"}, timeout=5).json()["items"]
    booked = next(x["appointment_no"] for x in items if x["status"] == "booked")
    url = f"{sim}/medtech/sedation-appointments"
    answers = [
        requests.get(url, timeout=5),
        requests.get(url, params={"date": "2026-02-30"}, timeout=5),
        requests.post(f"{url}/{booked}/assessment", json={"result": "maybe"}, timeout=5),
        requests.post(f"{url}/SJ2026061099/assessment", json={"result": "passed"}, timeout=5),
        requests.post(f"{url}/SJ2026139901/assessment", json={"result": "passed"}, timeout=5),
    ]
    assert [r.status_code for r in answers] == [400, 400, 400, 404, 404]
    assert requests.post(f"{sim}/_sim/medtech/sedation-appointments/{booked}/cancel", timeout=5).status_code == 200
    cancelled = requests.post(f"{url}/{booked}/assessment", json={"result": "passed"}, timeout=5)
    assert cancelled.status_code == 409 and cancelled.json()["error"]["code"] == "appointment_cancelled"
    listed = requests.get(url, params={"date": "2026-06-10"}, timeout=5).json()["items"]
    assert next(x for x in listed if x["appointment_no"] == booked)["status"] == "cancelled"
