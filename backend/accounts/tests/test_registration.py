"""Staff real-name registration against the HIS staff roster (SA5), over HTTP to the hospital simulator:
the real FHIR HIS adapter and the real SMS adapter; the code is read from the simulator's SMS recorder."""

import pytest

from accounts.models import User
from audit.models import AuditEntry
from integrations.testing import sent_sms, sim_staff
from tests.builders import make_department, make_staff, unique_phone, valid_id_number

pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/v1/auth/register/"


def _code(api_client, base_url, phone):
    r = api_client.post("/api/v1/auth/otp/", {"phone": phone, "purpose": "register"}, format="json")
    assert r.status_code == 202, r.content
    messages = sent_sms(base_url, phone)
    assert messages, "the simulator recorded no SMS"
    return messages[-1]["params"]["code"]


def _member(base_url, role="nurse"):
    return sim_staff(base_url, role=role)[0]


def _register(api_client, base_url, *, name, id_number, phone):
    code = _code(api_client, base_url, phone)
    return api_client.post(REGISTER_URL, {"name": name, "id_number": id_number, "phone": phone, "code": code},
                           format="json")


@pytest.mark.req("SA5", "DC1")
def test_roster_match_creates_an_enabled_user_with_department_and_role(api_client, hospital_sim):
    member = _member(hospital_sim, "anaesthetist")
    department = make_department(code=member["department_code"], name="麻醉科")
    r = _register(api_client, hospital_sim, name=member["name"], id_number=member["id_number"],
                  phone=member["phone"])
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["access"] and body["refresh"]
    assert body["user"]["id_number"] != member["id_number"] and "*" in body["user"]["id_number"]

    user = User.objects.get(uuid=body["user"]["uuid"])
    assert user.is_active and user.real_name_verified_at is not None
    assert user.department == department
    assert list(user.roles.values_list("slug", flat=True)) == ["anaesthetist"]
    assert user.employee_no == member["employee_no"]
    assert user.id_number == member["id_number"]  # kept, encrypted at rest
    entry = AuditEntry.objects.get(action="register", success=True, target_id=str(user.uuid))
    assert member["id_number"] not in str(entry.after)

    me = api_client.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.status_code == 200 and me.json()["roles"] == ["anaesthetist"]


@pytest.mark.req("SA5")
def test_registration_activates_a_pending_account_created_by_the_administrator(api_client, hospital_sim):
    member = _member(hospital_sim, "doctor")
    make_department(code=member["department_code"])
    pending = make_staff("doctor", phone=member["phone"], name=member["name"], is_active=False)
    r = _register(api_client, hospital_sim, name=member["name"], id_number=member["id_number"],
                  phone=member["phone"])
    assert r.status_code == 201, r.content
    pending.refresh_from_db()
    assert pending.is_active and pending.real_name_verified_at and pending.id_number == member["id_number"]
    assert User.objects.filter(phone=member["phone"]).count() == 1


@pytest.mark.req("SA5")
@pytest.mark.parametrize("case", ["no_match", "name", "phone", "department"])
def test_unmatched_registration_is_refused_with_a_reason(api_client, hospital_sim, case):
    member = _member(hospital_sim, "nurse")
    if case != "department":
        make_department(code=member["department_code"])
    name, id_number, phone = member["name"], member["id_number"], member["phone"]
    if case == "no_match":
        id_number, phone = valid_id_number(birth="19900707"), unique_phone()
    elif case == "name":
        name = name + "某"
    elif case == "phone":
        phone = unique_phone()
    expected = {"no_match": "roster_no_match", "name": "roster_name_mismatch", "phone": "roster_phone_mismatch",
                "department": "roster_department_unknown"}[case]

    r = _register(api_client, hospital_sim, name=name, id_number=id_number, phone=phone)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == expected
    assert r.json()["error"]["message"]
    assert "access" not in r.json()
    assert not User.objects.filter(phone=phone).exists()
    refusal = AuditEntry.objects.get(action="register", success=False)
    assert refusal.detail == f"staff:{expected}"
    assert id_number not in refusal.target_repr  # masked


@pytest.mark.req("SA5")
def test_role_unknown_to_us_is_refused(api_client, sms, his):
    department = make_department()
    id_number, phone = valid_id_number(), unique_phone()
    his.add_staff(name="钱七", id_number=id_number, phone=phone, department_code=department.code, role="porter")
    api_client.post("/api/v1/auth/otp/", {"phone": phone, "purpose": "register"}, format="json")
    r = api_client.post(REGISTER_URL, {"name": "钱七", "id_number": id_number, "phone": phone,
                                       "code": sms.code_for(phone)}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "roster_role_unknown"


@pytest.mark.req("SA5")
def test_disabled_account_cannot_re_register(api_client, sms, his):
    department = make_department()
    id_number, phone = valid_id_number(), unique_phone()
    his.add_staff(name="孙八", id_number=id_number, phone=phone, department_code=department.code, role="doctor")
    user = make_staff(phone=phone, name="孙八", id_number=id_number)
    from django.utils import timezone

    User.objects.filter(pk=user.pk).update(is_active=False, real_name_verified_at=timezone.now())
    api_client.post("/api/v1/auth/otp/", {"phone": phone, "purpose": "register"}, format="json")
    r = api_client.post(REGISTER_URL, {"name": "孙八", "id_number": id_number, "phone": phone,
                                       "code": sms.code_for(phone)}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.req("SA5")
def test_invalid_id_number_checksum_is_a_field_error_and_needs_no_roster(api_client, sms, his):
    good = valid_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = api_client.post(REGISTER_URL, {"name": "张三", "id_number": bad, "phone": unique_phone(), "code": "123456"},
                        format="json")
    assert r.status_code == 400
    assert "id_number" in r.json()["error"]["fields"]


@pytest.mark.req("SA5")
def test_registration_needs_the_sms_code(api_client, sms, his):
    department = make_department()
    id_number, phone = valid_id_number(), unique_phone()
    his.add_staff(name="周九", id_number=id_number, phone=phone, department_code=department.code, role="nurse")
    api_client.post("/api/v1/auth/otp/", {"phone": phone, "purpose": "register"}, format="json")
    code = sms.code_for(phone)
    wrong = "000000" if code != "000000" else "111111"
    r = api_client.post(REGISTER_URL, {"name": "周九", "id_number": id_number, "phone": phone, "code": wrong},
                        format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "otp_invalid"
    assert not User.objects.filter(phone=phone).exists()
