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


# --- accounts: principals and tokens (a test logs in without SMS round trips) ---------------------------------


def staff_token(user, *, amr=("otp",)):
    """An access token for `user` exactly as a login issues it. Admin endpoints (users, permissions) need
    the admin-web second factor: use `admin_token(user)` (amr pwd + otp) for those."""
    from accounts.tokens import issue_staff_tokens

    return issue_staff_tokens(user, amr=amr)["access"]


def admin_token(user):
    return staff_token(user, amr=("otp", "pwd"))


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
