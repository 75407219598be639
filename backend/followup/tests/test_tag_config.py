"""Y13/F6: tag definitions are hospital configuration — a hospital renames or switches off a default tag and adds
its own automatic tags mapped to abnormal-answer rules; staff without the configuration right cannot."""

import pytest

from followup import services
from followup.models import CaseTag, FollowupTask
from tests.builders import make_department, make_hospital, make_staff


@pytest.mark.req("Y13", "F6")
@pytest.mark.django_db
def test_a_hospital_configures_its_tags(discharged, hospital, doctor, client_for, ward):
    from forms.services import response_submit

    admin = client_for(make_staff("hospital_admin", department=ward.department))
    res = admin.post("/api/v1/followup/tag-definitions/", {"code": "pain", "label": "疼痛明显"}, format="json")
    assert res.status_code == 200 and res.json()["label"] == "疼痛明显" and res.json()["automatic"] is True
    res = admin.post("/api/v1/followup/tag-definitions/", {"code": "wound-care", "label": "需换药", "automatic": True,
                                                           "abnormal_codes": ["wound_problem"]}, format="json")
    assert res.status_code == 200 and res.json()["is_default"] is False
    admin.post("/api/v1/followup/tag-definitions/", {"code": "followed_up", "is_active": False}, format="json")
    assert admin.post("/api/v1/followup/tag-definitions/", {"code": "bad code"}, format="json").status_code == 400
    assert admin.post("/api/v1/followup/tag-definitions/", {"code": "x", "abnormal_codes": "pain"},
                      format="json").status_code == 400
    assert client_for(doctor).post("/api/v1/followup/tag-definitions/", {"code": "y", "label": "y"},
                                  format="json").status_code == 403
    # Another hospital's administrator does not see or change this hospital's tags.
    other_hospital = make_hospital(code="H-OTHER")[0]
    elsewhere = client_for(make_staff("hospital_admin", department=make_department(hospital=other_hospital)))
    assert "wound-care" not in {t["code"] for t in elsewhere.get("/api/v1/followup/tag-definitions/").json()}

    case = discharged()
    services.tasks_generate()
    task = FollowupTask.objects.get(case=case)
    response = response_submit(assignment=task.assignment, answers={"pain": 9, "fever": "no", "wound": "red"},
                               channel="mobile", actor=None)
    services.response_received(assignment_uuid=task.assignment.uuid, complete=True)
    services.tags_from_response(response_uuid=response.uuid)
    tags = {t.code: t.label for t in CaseTag.objects.filter(case=case)}
    # pain renamed, wound-care added (from the rule code), wound (the default, from the rule's tag); followed_up off.
    assert tags == {"pain": "疼痛明显", "wound-care": "需换药", "wound": "切口异常"}
