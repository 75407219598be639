"""SA8: the follow-up patient view gathers the patient's details, the stay and discharge instructions, lab and exam
records, the treatment plan, the recovery answers and the follow-up tree — for staff of the case's ward only, as an
audited read."""

import pytest

from audit.models import AuditEntry
from recovery.tests.conftest import WEEK

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA8")]


def test_the_view_composes_every_record_of_the_patient_for_the_ward_only(world, client_for):
    from clinical.testing import seed_rows as seed_clinical
    from followup.testing import seed_rows as seed_followup
    from forms.testing import seed_rows as seed_forms
    from stay.testing import seed_rows as seed_stay

    case = world["case"]
    for seed in (seed_clinical, seed_forms, seed_followup, seed_stay):
        seed(ward=case.ward, patient=case.patient, case=case)
    client_for(world["doctor"]).put(f"/api/v1/cases/{case.uuid}/treatment-plan/", {"items": WEEK, "publish": True},
                                    format="json")
    url = f"/api/v1/cases/{case.uuid}/follow-up-view/"
    answer = client_for(world["followup"]).get(url)
    assert answer.status_code == 200, answer.json()
    view = answer.json()
    assert view["patient"]["name"] == case.patient.name and view["patient"]["phone"] == case.patient.phone
    assert view["case"]["uuid"] == str(case.uuid) and view["case"]["surgeon"] == "李医生"
    assert view["stay"]["discharge"]["instructions"]["warning_signs"] == "发热、切口渗血请及时就诊"
    assert view["stay"]["complications"][0]["clavien_dindo_grade"] == "II"
    assert [r["name"] for r in view["abnormal_lab_results"]] == ["血红蛋白"]
    assert view["exam_reports"][0]["name"] == "十二导联心电图"
    assert view["treatment_plan"]["number"] == 1 and len(view["treatment_plan"]["items"]) == len(WEEK)
    assert view["recovery_answers"][0]["abnormal"] == ["pain_severe"]
    assert view["followup"]["case"]["uuid"] == str(case.uuid) and view["followup"]["nodes"]
    assert AuditEntry.objects.filter(action="read", detail="follow-up patient view",
                                     actor_id=str(world["followup"].uuid)).exists()

    assert client_for(world["nurse_b"]).get(url).status_code == 404
    assert client_for(world["patient"]).get(url).status_code in (401, 403)
