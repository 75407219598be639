"""Demo booking policy (B3, B5, U4): a few admission rules and the booking-mode grants of the demo hospital.

Idempotent (rules found by name, grants by mode and grantee). Call it after the demo cases are booked: the rules
apply to every later confirmation and reschedule, and the seeded patients are not chosen to fit them.
"""

from django.db import transaction

from booking_policy.models import (
    AdmissionRule,
    BookingModeGrant,
    GrantableMode,
    GranteeKind,
    RuleKind,
    RuleScope,
)
from booking_policy.services import admission_rule_create, booking_mode_grant_create
from org.models import ManagementMode, MedicalGroup

RULES = [
    # (name, kind, scope, management mode, parameters, message)
    ("日间手术年龄准入", RuleKind.AGE, RuleScope.MANAGEMENT_MODE, ManagementMode.CENTRE,
     {"min_age": 1, "max_age": 80}, "日间手术中心收治1至80岁患者；超出范围请预约住院手术。"),
    ("日间手术分级准入", RuleKind.GRADE, RuleScope.MANAGEMENT_MODE, ManagementMode.CENTRE,
     {"grades": [1, 2, 3]}, "四级手术不纳入日间手术管理。"),
    ("门诊手术分级准入", RuleKind.GRADE, RuleScope.MANAGEMENT_MODE, ManagementMode.OUTPATIENT,
     {"grades": [1, 2]}, "门诊手术室仅开展一、二级手术。"),
    ("门诊手术年龄准入", RuleKind.AGE, RuleScope.MANAGEMENT_MODE, ManagementMode.OUTPATIENT,
     {"min_age": 14}, "门诊手术室不接收14岁以下患儿，请预约日间手术中心。"),
    ("患者同时预约上限", RuleKind.ACTIVE_BOOKINGS, RuleScope.HOSPITAL, "",
     {"max_active_bookings": 2}, "同一患者同时有效的日间手术预约不超过2个。"),
]


@transaction.atomic
def seed_booking_policy(hospital, *, write=print) -> dict:
    """The rules above for `hospital`; a group-booking grant for each of its medical groups; a virtual-booking
    grant for each department with a virtual surgeon (for that department's surgeons). Returns counts."""
    from accounts.models import User

    rules = 0
    for name, kind, scope, mode, params, message in RULES:
        if not AdmissionRule.objects.filter(hospital=hospital, name=name).exists():
            admission_rule_create(actor=None, hospital=hospital, name=name, kind=kind, scope=scope,
                                  management_mode=mode, message=message, **params)
            rules += 1
    live = BookingModeGrant.objects.filter(revoked_at__isnull=True)
    grants = 0
    for group in MedicalGroup.objects.filter(department__hospital=hospital).order_by("pk"):
        if not live.filter(mode=GrantableMode.GROUP, grantee_group=group).exists():
            booking_mode_grant_create(actor=None, mode=GrantableMode.GROUP, grantee_kind=GranteeKind.GROUP,
                                      grantee_group=group, note="组员可为组长预约（演示）")
            grants += 1
    virtual_departments = {
        u.department for u in User.objects.filter(is_virtual=True, department__hospital=hospital)
        .select_related("department")
    }
    for department in sorted(virtual_departments, key=lambda d: d.code):
        if not live.filter(mode=GrantableMode.VIRTUAL, grantee_department=department).exists():
            booking_mode_grant_create(actor=None, mode=GrantableMode.VIRTUAL, grantee_kind=GranteeKind.DEPARTMENT,
                                      grantee_department=department, target_department=department,
                                      note="本科室医生可预约至虚拟医生名下（演示）")
            grants += 1
    write(f"  booking policy: {rules} admission rules, {grants} booking-mode grants added")
    return {"rules": rules, "grants": grants}
