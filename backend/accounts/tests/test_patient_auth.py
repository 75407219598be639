"""Patients as a separate principal: WeChat and phone login, real-name binding to the HIS record, own data only
(PA1, PA6). HIS and SMS go over HTTP to the hospital simulator where they can."""

import pytest

from accounts.models import PatientAccount
from accounts.patient_scope import patient_for, patient_queryset
from audit.models import AuditEntry
from cases.models import IdentifierSystem, Patient, PatientIdentifier
from integrations.testing import sent_sms, sim_patients
from tests.builders import (
    admin_token,
    idle_session,
    make_patient_account,
    make_staff,
    patient_token,
    staff_token,
    unique_phone,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


def _bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _sim_code(api_client, base_url, phone, purpose="patient_login"):
    r = api_client.post("/api/v1/patient-auth/otp/", {"phone": phone, "purpose": purpose}, format="json")
    assert r.status_code == 202, r.content
    return sent_sms(base_url, phone)[-1]["params"]["code"]


@pytest.mark.req("PA1", "DC1")
def test_wechat_login_creates_one_account_per_openid(api_client, wechat):
    wechat.codes["c1"] = ("o-abc", "u-abc")
    wechat.codes["c2"] = ("o-abc", "u-abc")
    r1 = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c1"}, format="json")
    assert r1.status_code == 200, r1.content
    r2 = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c2"}, format="json")
    assert r2.json()["account"]["uuid"] == r1.json()["account"]["uuid"]
    assert PatientAccount.objects.filter(wechat_openid="o-abc").count() == 1
    assert "session_key" not in r1.content.decode()
    body = r1.json()
    assert body["account"]["bound"] is False and body["account"]["patient"] is None

    me = _bearer(api_client, body["access"]).get("/api/v1/patient-auth/me/")
    assert me.status_code == 200 and me.json()["wechat_linked"] is True
    # A used or unknown code is refused.
    api_client.credentials()
    r = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c1"}, format="json")
    assert r.status_code == 400
    assert AuditEntry.objects.filter(action="login", actor_type="patient").count() == 2


@pytest.mark.req("PA1")
def test_patient_phone_login_with_sms_code(api_client, hospital_sim):
    phone = unique_phone()
    code = _sim_code(api_client, hospital_sim, phone)
    r = api_client.post("/api/v1/patient-auth/login/", {"phone": phone, "code": code}, format="json")
    assert r.status_code == 200, r.content
    account = PatientAccount.objects.get(uuid=r.json()["account"]["uuid"])
    assert account.phone == phone and account.phone_verified_at is not None
    assert r.json()["account"]["phone"] != phone  # masked
    # The same phone logs into the same account next time; a reused code does not.
    again = api_client.post("/api/v1/patient-auth/login/", {"phone": phone, "code": code}, format="json")
    assert again.status_code == 400 and again.json()["error"]["code"] == "otp_used"
    from django.test import override_settings

    with override_settings(OTP_PHONE_PER_MINUTE=10):
        code2 = _sim_code(api_client, hospital_sim, phone)
    r2 = api_client.post("/api/v1/patient-auth/login/", {"phone": phone, "code": code2}, format="json")
    assert r2.json()["account"]["uuid"] == str(account.uuid)


@pytest.mark.req("PA6")
def test_binding_matches_the_hospital_record_and_creates_the_patient(api_client, hospital_sim):
    record = sim_patients(hospital_sim)[3]
    # phone login proves the phone, then binding needs no further code
    code = _sim_code(api_client, hospital_sim, record["phone"])
    login = api_client.post("/api/v1/patient-auth/login/", {"phone": record["phone"], "code": code}, format="json")
    assert login.status_code == 200, login.content
    _bearer(api_client, login.json()["access"])
    r = api_client.post("/api/v1/patient-auth/bind/", {"name": record["name"], "id_number": record["id_number"],
                                                       "phone": record["phone"]}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["bound"] is True
    assert r.json()["patient"]["reg_no"] == record["reg_no"]
    assert record["id_number"] not in r.content.decode()

    account = PatientAccount.objects.get(uuid=login.json()["account"]["uuid"])
    patient = patient_for(account)
    assert patient is not None and patient.name == record["name"]
    systems = dict(patient.identifiers.values_list("system", "value_index"))
    assert systems[IdentifierSystem.REG_NO] == PatientIdentifier.index_for("reg_no", record["reg_no"])
    assert IdentifierSystem.ID_CARD in systems
    assert AuditEntry.objects.filter(action="register", success=True, actor_id=str(account.uuid)).exists()

    me = api_client.get("/api/v1/patient-auth/me/").json()
    assert me["patient"]["uuid"] == str(patient.uuid)


@pytest.mark.req("PA6")
def test_wechat_account_binds_with_an_sms_code_for_the_phone(api_client, hospital_sim):
    record = sim_patients(hospital_sim)[5]
    account = make_patient_account()
    _bearer(api_client, patient_token(account))
    payload = {"name": record["name"], "id_number": record["id_number"], "phone": record["phone"]}
    r = api_client.post("/api/v1/patient-auth/bind/", payload, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "phone_not_verified"
    code = _sim_code(api_client, hospital_sim, record["phone"], purpose="patient_bind")
    r = api_client.post("/api/v1/patient-auth/bind/", {**payload, "code": code}, format="json")
    assert r.status_code == 200, r.content
    account.refresh_from_db()
    assert account.patient is not None and account.phone == record["phone"]


@pytest.mark.req("PA6")
@pytest.mark.parametrize("case", ["no_match", "name", "phone"])
def test_binding_refused_when_the_hospital_record_does_not_match(api_client, hospital_sim, case):
    record = sim_patients(hospital_sim)[7]
    name, id_number, phone = record["name"], record["id_number"], record["phone"]
    if case == "no_match":
        id_number = valid_id_number(birth="19770303")
    elif case == "name":
        name = "错" + name
    elif case == "phone":
        phone = unique_phone()
    account = make_patient_account(phone=phone)
    _bearer(api_client, patient_token(account))
    r = api_client.post("/api/v1/patient-auth/bind/", {"name": name, "id_number": id_number, "phone": phone},
                        format="json")
    expected = {"no_match": "his_no_match", "name": "his_name_mismatch", "phone": "his_phone_mismatch"}[case]
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == expected
    account.refresh_from_db()
    assert account.patient is None
    assert not PatientIdentifier.objects.filter(
        system="id_card", value_index=PatientIdentifier.index_for("id_card", record["id_number"])
    ).exists()
    assert AuditEntry.objects.filter(action="register", success=False, detail=f"patient:{expected}").exists()


@pytest.mark.req("PA6")
def test_a_patient_reaches_only_their_own_record(api_client, sms, his):
    a_id, b_id = valid_id_number(birth="19700101"), valid_id_number(birth="19710101")
    a_phone, b_phone = unique_phone(), unique_phone()
    his.add_patient(name="甲某", id_number=a_id, phone=a_phone)
    his.add_patient(name="乙某", id_number=b_id, phone=b_phone)
    accounts = []
    for name, id_number, phone in (("甲某", a_id, a_phone), ("乙某", b_id, b_phone)):
        account = make_patient_account(phone=phone)
        r = _bearer(api_client, patient_token(account)).post(
            "/api/v1/patient-auth/bind/", {"name": name, "id_number": id_number, "phone": phone}, format="json"
        )
        assert r.status_code == 200, r.content
        account.refresh_from_db()
        accounts.append(account)
    a, b = accounts
    assert patient_for(a) != patient_for(b)
    assert list(patient_queryset(Patient.objects.all(), a, patient_field="pk")) == [patient_for(a)]
    assert list(patient_queryset(Patient.objects.all(), b, patient_field="pk")) == [patient_for(b)]
    assert patient_for(make_staff()) is None
    assert patient_queryset(Patient.objects.all(), make_patient_account(), patient_field="pk").count() == 0
    me = _bearer(api_client, patient_token(b)).get("/api/v1/patient-auth/me/").json()
    assert me["patient"]["uuid"] == str(patient_for(b).uuid)

    # Once bound, an account cannot be re-bound to somebody else.
    from django.test import override_settings

    with override_settings(PATIENT_BIND_REQUIRE_HIS_PHONE=False):
        r = _bearer(api_client, patient_token(a)).post(
            "/api/v1/patient-auth/bind/", {"name": "乙某", "id_number": b_id, "phone": a_phone}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_bound"
    a.refresh_from_db()
    assert a.patient == patient_for(a) and a.patient.name == "甲某"


@pytest.mark.req("PA1", "DC1")
def test_patient_and_staff_tokens_do_not_cross(api_client):
    account = make_patient_account()
    nurse = make_staff("nurse")
    admin = make_staff("hospital_admin")
    _bearer(api_client, patient_token(account))
    assert api_client.get("/api/v1/auth/me/").status_code == 403
    assert api_client.get("/api/v1/users/").status_code == 403
    assert api_client.get("/api/v1/patient-auth/me/").status_code == 200
    _bearer(api_client, staff_token(nurse))
    assert api_client.get("/api/v1/patient-auth/me/").status_code == 403
    _bearer(api_client, admin_token(admin))
    assert api_client.post("/api/v1/patient-auth/bind/", {}, format="json").status_code == 403


@pytest.mark.req("DC1")
def test_patient_refresh_rotation_logout_and_idle(api_client, wechat):
    wechat.codes["c9"] = ("o-9", "")
    tokens = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c9"}, format="json").json()
    # A patient refresh token is refused by the staff refresh endpoint and vice versa.
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_wrong_principal"
    rotated = api_client.post("/api/v1/patient-auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert rotated.status_code == 200
    assert api_client.post("/api/v1/patient-auth/refresh/", {"refresh": tokens["refresh"]},
                           format="json").status_code == 401
    new = rotated.json()
    assert api_client.post("/api/v1/patient-auth/logout/", {"refresh": new["refresh"]}, format="json").status_code == 204
    assert _bearer(api_client, new["access"]).get("/api/v1/patient-auth/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/v1/patient-auth/refresh/", {"refresh": new["refresh"]},
                           format="json").status_code == 401

    wechat.codes["c10"] = ("o-9", "")
    fresh = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c10"}, format="json").json()
    idle_session(fresh["access"], minutes=120)
    r = _bearer(api_client, fresh["access"]).get("/api/v1/patient-auth/me/")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_idle"


def test_disabled_patient_account_is_refused(api_client, wechat):
    account = make_patient_account(openid="o-off")
    token = patient_token(account)
    PatientAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert _bearer(api_client, token).get("/api/v1/patient-auth/me/").status_code == 401
    api_client.credentials()
    wechat.codes["c-off"] = ("o-off", "")
    r = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "c-off"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"


@pytest.mark.req("PA1", "DC1")
def test_wechat_login_through_wechatpy_against_the_simulator(api_client, hospital_sim):
    """The real WeChat adapter (wechatpy) calls the simulator's jscode2session over HTTP."""
    r = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "wxcode-h2-1"}, format="json")
    assert r.status_code == 200, r.content
    account = PatientAccount.objects.get(uuid=r.json()["account"]["uuid"])
    assert account.wechat_openid and account.wechat_unionid
    again = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "wxcode-h2-1"}, format="json")
    assert again.json()["account"]["uuid"] == str(account.uuid)  # same WeChat user → same account
    other = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "wxcode-h2-2"}, format="json")
    assert other.json()["account"]["uuid"] != str(account.uuid)

    bad = api_client.post("/api/v1/patient-auth/wechat-login/", {"code": "not-a-wx-code"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "wechat_login_failed"
    assert AuditEntry.objects.filter(action="login_failed", detail__contains="wechat").exists()
