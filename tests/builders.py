"""The domain test helper: speaks the domain (a hospital, a ward, a surgeon, a patient, a case in a state).

Contexts extend this module with their own builders as they land; prefer their services over raw ORM.
"""

import itertools

from accounts.models import Role, User
from accounts.permissions import sync_permissions
from core.identity import id_number_check_char
from org.models import Campus, Department, Hospital, ManagementMode, Ward

_seq = itertools.count(1)


def valid_id_number(birth="19800101", region="110105", serial=None):
    serial = serial if serial is not None else next(_seq) % 999
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_number_check_char(first17)


def unique_phone():
    return f"139{next(_seq) + 10000000:08d}"[:11]


def make_hospital(code="H001"):
    hospital, _ = Hospital.objects.get_or_create(code=code, defaults={"name": "示例人民医院"})
    campus, _ = Campus.objects.get_or_create(hospital=hospital, code="MAIN", defaults={"name": "本部"})
    return hospital, campus


def make_department(code=None, name="普外科", hospital=None):
    hospital = hospital or make_hospital()[0]
    code = code or f"D{next(_seq):03d}"
    return Department.objects.create(hospital=hospital, code=code, name=name)


def make_ward(mode=ManagementMode.CENTRE, department=None, code=None, name=None):
    department = department or make_department()
    code = code or f"W{next(_seq):03d}"
    return Ward.objects.create(department=department, code=code, name=name or f"日间病区{code}", management_mode=mode)


def make_staff(role="doctor", *, ward=None, department=None, phone=None, name=None, **extra):
    """A staff user with one role, attached to a ward (and that ward's department unless given)."""
    sync_permissions()
    department = department or (ward.department if ward else None)
    user = User.objects.create_user(
        phone or unique_phone(), name=name or f"{role}{next(_seq)}", department=department, **extra
    )
    user.roles.add(Role.objects.get(slug=role))
    if ward is not None:
        user.wards.add(ward)
    return user


# --- cases (patients and surgical cases, built through cases.services) ----------------------------------------

_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴军"]


def make_patient(*, name=None, reg_no=None, id_number=None, phone=None, sex=None, identifiers=()):
    """A patient resolved from a HIS record (cases.services.patient_get_or_create_from_his)."""
    from datetime import date

    from cases.services import patient_get_or_create_from_his
    from core.identity import id_number_birth_date, id_number_sex
    from integrations.ports.his import HisPatient, Identifier

    n = next(_seq)
    id_number = id_number or valid_id_number(birth=f"19{60 + n % 40:02d}0{1 + n % 9}1{n % 9}")
    his = HisPatient(
        reg_no=reg_no or f"R{n:08d}",
        name=name or _NAMES[n % len(_NAMES)],
        sex=sex or id_number_sex(id_number),
        birth_date=id_number_birth_date(id_number) if id_number else date(1980, 1, 1),
        phone=phone or unique_phone(),
        id_number=id_number,
        identifiers=tuple(Identifier(s, v) for s, v in identifiers),
    )
    patient, _created = patient_get_or_create_from_his(his_patient=his)
    return patient


# The service path from a fresh draft to each state (inpatient-style wards; outpatient skips admit/discharge).
_CASE_PATHS = {
    "draft": [],
    "pending_pool": [("to_pending_pool", {"reason": "患者考虑中"})],
    "booked": ["confirm"],
    "application_sent": ["confirm", "assess", "send_application"],
    "scheduled": ["confirm", "assess", "send_application", "theatre_scheduled"],
    "admitted": ["confirm", "assess", "send_application", "theatre_scheduled", "admit"],
    "in_theatre": ["confirm", "assess", "send_application", "theatre_scheduled", "admit", "enter_theatre"],
    "operated": ["confirm", "assess", "send_application", "theatre_scheduled", "admit", "enter_theatre",
                 "finish_operation"],
    "discharged": ["confirm", "assess", "send_application", "theatre_scheduled", "admit", "enter_theatre",
                   "finish_operation", "discharge"],
    "follow_up": ["confirm", "assess", "send_application", "theatre_scheduled", "admit", "enter_theatre",
                  "finish_operation", "discharge", "start_follow_up"],
    "closed": ["confirm", "assess", "send_application", "theatre_scheduled", "admit", "enter_theatre",
               "finish_operation", "discharge", "start_follow_up", "close"],
    "cancelled": ["confirm", ("cancel", {"reason_code": "patient_request", "reason_text": "家中有事"})],
    "no_show": ["confirm", ("no_show", {"reason": "未到院"})],
    "terminated": ["confirm", ("terminate", {"reason": "麻醉评估未通过"})],
    "transferred_to_inpatient": ["confirm", "assess", "send_application", "theatre_scheduled", "admit",
                                 ("transfer_to_inpatient", {"reason": "术后观察超过48小时"})],
}
_OUTPATIENT_SKIPS = {"admit", "discharge"}


def make_case(state="draft", *, ward=None, patient=None, surgeon=None, actor=None, planned_date=None,
              procedure_name="腹腔镜胆囊切除术", anaesthesia_clinic_required=True, admitted_at=None):
    """A surgical case in `state`, driven there through case_create + case_transition (actor None = system).

    `admitted_at` back-dates the admission (length-of-stay tests). Outpatient-surgery wards skip admit and
    discharge, as the state machine does.
    """
    from django.utils import timezone

    from cases.services import case_create, case_record_milestone, case_transition
    from org.models import ManagementMode

    ward = ward or make_ward()
    surgeon = surgeon or make_staff("doctor", ward=ward)
    patient = patient or make_patient()
    case = case_create(
        actor=actor, patient=patient, ward=ward, surgeon=surgeon, procedure_name=procedure_name,
        procedure_code="51.2300", planned_date=planned_date or timezone.localdate(), planned_session="am",
        anaesthesia_method="general", anaesthesia_clinic_required=anaesthesia_clinic_required,
    )
    outpatient = ward.management_mode == ManagementMode.OUTPATIENT
    if state == "transferred_to_inpatient" and outpatient:
        steps = _CASE_PATHS["in_theatre"] + [("transfer_to_inpatient", {"reason": "需住院治疗"})]
    else:
        steps = _CASE_PATHS[state]
    for step in steps:
        name, data = (step, {}) if isinstance(step, str) else step
        if outpatient and name in _OUTPATIENT_SKIPS:
            continue
        if name == "assess":
            case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=actor)
            if anaesthesia_clinic_required:
                case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=actor)
            continue
        if name == "admit" and admitted_at is not None:
            data = {**data, "occurred_at": admitted_at}
        case = case_transition(case=case, transition=name, actor=actor, **data)
    return case


# --- accounts: principals and tokens (a test logs in without SMS round trips) ---------------------------------


def staff_token(user, *, amr=("otp",)):
    """An access token for `user` exactly as a login issues it. Admin endpoints (users, permissions) need
    the admin-web second factor: use `admin_token(user)` (amr pwd + otp) for those."""
    from accounts.tokens import issue_staff_tokens

    return issue_staff_tokens(user, amr=amr)["access"]


def admin_token(user):
    return staff_token(user, amr=("otp", "pwd"))


def idle_session(token, *, minutes):
    """Make the login session of `token` (an access or refresh token string) look last used `minutes` ago."""
    import time

    from rest_framework_simplejwt.tokens import UntypedToken

    from accounts.tokens import SESSION_CLAIM, session_seen

    session_seen(UntypedToken(token)[SESSION_CLAIM], now=time.time() - minutes * 60)


def make_patient_account(*, patient=None, phone=None, openid=None):
    """A patient principal, bound to `patient` (a cases.Patient) when given."""
    from django.utils import timezone

    from accounts.models import PatientAccount

    now = timezone.now()
    return PatientAccount.objects.create(
        wechat_openid=openid or f"openid-test-{next(_seq)}",
        phone=phone or "",
        phone_verified_at=now if phone else None,
        patient=patient,
        bound_at=now if patient else None,
    )


def patient_token(account, *, amr=("wechat",)):
    """An access token of the patient principal `account` (a PatientAccount)."""
    from accounts.tokens import issue_patient_tokens

    return issue_patient_tokens(account, amr=amr)["access"]


def authenticate(client, principal, **token_kwargs):
    """Put a bearer token for `principal` (User or PatientAccount) on a DRF APIClient; returns the client."""
    token = patient_token(principal, **token_kwargs) if principal.is_patient else staff_token(principal, **token_kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- capacity: resources and quotas (built through capacity.services) ------------------------------------------


def make_capacity(owner, *, day, session="am", max_bookings=5, resources=1, kind="resource"):
    """One dated capacity slot of `owner` (a surgeon, medical group or department): a weekly template row for
    that weekday and session, generated for `day`. Returns the slot."""
    from capacity.models import CapacitySlot, owner_key_of
    from capacity.selectors import template_list
    from capacity.services import slots_generate, template_set

    rows = [
        {"weekday": r.weekday, "session": r.session, "resources": r.resources, "max_bookings": r.max_bookings}
        for r in template_list(owner=owner, kind=kind)
        if (r.weekday, r.session) != (day.weekday(), session)
    ]
    rows.append({"weekday": day.weekday(), "session": session, "resources": resources, "max_bookings": max_bookings})
    template_set(actor=None, owner=owner, kind=kind, rows=rows)
    slots_generate(actor=None, owner=owner, kind=kind, date_from=day, date_to=day)
    return CapacitySlot.objects.get(owner_key=owner_key_of(owner), kind=kind, date=day, session=session)
