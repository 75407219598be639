"""The booking policy (B3, B5, Y12, U4): who and what may be booked, and by whom.

- `admission_check` / `admission_evaluate`: the admission rule engine. Built-in levels first — procedure (enabled,
  admitted by the case's ward) → department (the procedure's department, or the ward's, admits it) → surgeon (the
  procedure's admitted doctors; none listed = any surgeon of an admitting department) — then the configurable
  rules in scope (hospital / management mode / department / ward): patient age, surgical grade, body site,
  triage level, active bookings per patient. `cases.state_machine` calls `admission_check` when a booking is
  confirmed or rescheduled.
- `booking_mode_resolve`: own / group / cross_department / virtual / on_behalf, refused unless authorised.
- Rule and grant administration (audited with before/after), the virtual-surgeon to-do job and the assignment.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from audit.models import AuditAction
from audit.services import audit_record
from booking_policy.errors import AdmissionRefused, BookingModeNotAuthorised
from booking_policy.models import (
    AdmissionRule,
    AssignmentStatus,
    BodySitePolicy,
    BookingModeGrant,
    GrantableMode,
    GranteeKind,
    RuleKind,
    RuleScope,
    SurgeonAssignmentTask,
)
from booking_policy.permissions import BOOK_ON_BEHALF
from cases.models import ACTIVE_BOOKING_STATES, BookingMode, CaseState
from core.errors import Conflict, InvalidInput
from core.serialization import to_jsonable
from org.models import MedicalGroup

# --- the admission rule engine (B3) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a booking asks for: evaluated for a case being confirmed, or for a booking form before it exists."""

    patient: object
    ward: object
    department: object
    surgeon: object
    procedure: object = None
    planned_date: date | None = None
    triage_level: int | None = None
    case_id: int | None = None  # the case itself does not count among the patient's other bookings


def subject_for_case(case, *, planned_date=None) -> Subject:
    return Subject(
        patient=case.patient, ward=case.ward, department=case.department, surgeon=case.surgeon,
        procedure=case.procedure, planned_date=planned_date or case.planned_date,
        triage_level=case.triage_level, case_id=case.pk,
    )


@dataclass(frozen=True)
class Verdict:
    rule_id: str
    name: str
    level: str  # procedure / department / surgeon, or the configured rule's kind
    passed: bool
    reason_code: str = ""
    reason: str = ""
    message: str = ""  # the rule's own wording for the booking doctor, if configured
    scope: str = ""

    def as_dict(self):
        return {
            "rule": {"id": self.rule_id, "name": self.name, "level": self.level, "scope": self.scope},
            "passed": self.passed, "reason_code": self.reason_code, "reason": self.reason, "message": self.message,
        }


def _fail(reason_code, reason):
    return False, reason_code, str(reason)


_PASS = (True, "", "")


def _check_procedure_active(s):
    if not s.procedure.is_active:
        return _fail("procedure_disabled", _("The procedure %(procedure)s is disabled in the catalogue.")
                     % {"procedure": s.procedure.name})
    return _PASS


def _check_procedure_ward(s):
    if not s.procedure.ward_links.filter(ward_id=s.ward.pk).exists():
        return _fail("procedure_not_admitted_by_ward", _("The ward %(ward)s does not admit %(procedure)s.")
                     % {"ward": s.ward.name, "procedure": s.procedure.name})
    return _PASS


def _admitting_department_ids(s):
    """The procedure's department admits it; a ward that admits it (its department) hosts it."""
    ids = {s.ward.department_id}
    ids.add(s.procedure.department_id if s.procedure.department_id else s.department.pk)
    return ids


def _check_department(s):
    if not s.department.is_active:
        return _fail("department_disabled", _("The department %(department)s is disabled.")
                     % {"department": s.department.name})
    if s.procedure.department_id and s.department.pk not in _admitting_department_ids(s):
        return _fail(
            "procedure_not_admitted_by_department",
            _("The department %(department)s does not admit %(procedure)s (it belongs to %(owner)s).")
            % {"department": s.department.name, "procedure": s.procedure.name, "owner": s.procedure.department.name},
        )
    return _PASS


def surgeon_admitted(procedure, surgeon, *, department_ids) -> tuple:
    """(passed, reason_code, reason) for a real surgeon performing `procedure`; used at booking and assignment."""
    admitted = list(procedure.admitted_doctors.values_list("pk", flat=True))
    if admitted:
        if surgeon.pk not in admitted:
            return _fail("surgeon_not_admitted", _("%(surgeon)s is not among the surgeons admitted to %(procedure)s.")
                         % {"surgeon": surgeon.name, "procedure": procedure.name})
        return _PASS
    if surgeon.department_id not in department_ids:
        return _fail("surgeon_department_not_admitted",
                     _("%(surgeon)s is not a surgeon of a department admitting %(procedure)s.")
                     % {"surgeon": surgeon.name, "procedure": procedure.name})
    return _PASS


def _check_surgeon(s):
    if s.surgeon.is_virtual:
        # A placeholder: the real surgeon named the day before is checked at assignment.
        if s.surgeon.department_id not in _admitting_department_ids(s):
            return _fail("surgeon_department_not_admitted",
                         _("The virtual surgeon %(surgeon)s belongs to a department not admitting %(procedure)s.")
                         % {"surgeon": s.surgeon.name, "procedure": s.procedure.name})
        return _PASS
    return surgeon_admitted(s.procedure, s.surgeon, department_ids=_admitting_department_ids(s))


BUILT_IN_CHECKS = (
    # (id, name, level, check)
    ("procedure.active", _("Procedure enabled"), "procedure", _check_procedure_active),
    ("procedure.ward", _("Ward admits the procedure"), "procedure", _check_procedure_ward),
    ("department.procedure", _("Department admits the procedure"), "department", _check_department),
    ("surgeon.procedure", _("Surgeon admitted to the procedure"), "surgeon", _check_surgeon),
)


def age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _rule_age(rule, s):
    birth = s.patient.birth_date
    if birth is None:
        return _fail("birth_date_unknown", _("The patient's date of birth is unknown."))
    age = age_on(birth, s.planned_date or timezone.localdate())
    if rule.min_age is not None and age < rule.min_age:
        return _fail("age_below_minimum", _("The patient is %(age)s years old; the minimum is %(min)s.")
                     % {"age": age, "min": rule.min_age})
    if rule.max_age is not None and age > rule.max_age:
        return _fail("age_above_maximum", _("The patient is %(age)s years old; the maximum is %(max)s.")
                     % {"age": age, "max": rule.max_age})
    return _PASS


def _rule_grade(rule, s):
    if s.procedure is None:
        return _fail("grade_unknown", _("The procedure is not from the catalogue, so its grade is unknown."))
    if s.procedure.grade not in rule.grades:
        return _fail("grade_not_allowed", _("Grade %(grade)s procedures are not admitted (allowed: %(allowed)s).")
                     % {"grade": s.procedure.grade, "allowed": "、".join(str(g) for g in sorted(rule.grades))})
    return _PASS


def _rule_body_site(rule, s):
    site = (s.procedure.body_site if s.procedure is not None else "").strip()
    listed = site in rule.body_sites
    if rule.body_site_policy == BodySitePolicy.ALLOW and not listed:
        if not site:
            return _fail("body_site_unknown", _("The procedure's body site is unknown."))
        return _fail("body_site_not_allowed", _("Procedures on the %(site)s are not admitted.") % {"site": site})
    if rule.body_site_policy == BodySitePolicy.BLOCK and listed:
        return _fail("body_site_blocked", _("Procedures on the %(site)s are not admitted.") % {"site": site})
    return _PASS


def _rule_triage(rule, s):
    if s.triage_level is None:
        return _fail("triage_unknown", _("The triage level has not been recorded."))
    if s.triage_level not in rule.triage_levels:
        return _fail("triage_not_allowed", _("Triage level %(level)s is not admitted (allowed: %(allowed)s).")
                     % {"level": s.triage_level, "allowed": "、".join(str(x) for x in sorted(rule.triage_levels))})
    return _PASS


def active_booking_count(patient, *, exclude_case_id=None) -> int:
    from cases.models import SurgicalCase

    qs = SurgicalCase.objects.filter(patient=patient, state__in=ACTIVE_BOOKING_STATES)
    if exclude_case_id is not None:
        qs = qs.exclude(pk=exclude_case_id)
    return qs.count()


def _rule_active_bookings(rule, s):
    others = active_booking_count(s.patient, exclude_case_id=s.case_id)
    if others >= rule.max_active_bookings:
        return _fail("too_many_active_bookings",
                     _("The patient already has %(count)s active bookings; at most %(max)s are allowed.")
                     % {"count": others, "max": rule.max_active_bookings})
    return _PASS


RULE_EVALUATORS = {
    RuleKind.AGE: _rule_age,
    RuleKind.GRADE: _rule_grade,
    RuleKind.BODY_SITE: _rule_body_site,
    RuleKind.TRIAGE: _rule_triage,
    RuleKind.ACTIVE_BOOKINGS: _rule_active_bookings,
}


def rules_for(ward, department):
    """Enabled rules that govern a booking on `ward` for `department`, in evaluation order."""
    scope = (
        Q(scope=RuleScope.HOSPITAL)
        | Q(scope=RuleScope.MANAGEMENT_MODE, management_mode=ward.management_mode)
        | Q(scope=RuleScope.DEPARTMENT, department_id__in={department.pk, ward.department_id})
        | Q(scope=RuleScope.WARD, ward_id=ward.pk)
    )
    return AdmissionRule.objects.filter(scope, hospital_id=ward.department.hospital_id, is_enabled=True).order_by(
        "position", "id"
    )


def _verdicts(subject: Subject):
    """Every verdict in order: built-in levels (when the booking names a catalogue procedure), then rules."""
    if subject.procedure is not None:
        for rule_id, name, level, check in BUILT_IN_CHECKS:
            passed, code, reason = check(subject)
            yield Verdict(rule_id, str(name), level, passed, code, reason, scope="built_in")
    for rule in rules_for(subject.ward, subject.department):
        passed, code, reason = RULE_EVALUATORS[rule.kind](rule, subject)
        yield Verdict(str(rule.uuid), rule.name, rule.kind, passed, code, reason, rule.message if not passed else "",
                      scope=rule.scope)


def admission_evaluate(subject: Subject) -> list[Verdict]:
    """Every rule's verdict (a booking form shows them before confirming); nothing is written."""
    return list(_verdicts(subject))


def refusal_for_verdict(verdict: Verdict) -> AdmissionRefused:
    message = _("Admission refused by the rule “%(rule)s”: %(reason)s") % {
        "rule": verdict.name, "reason": verdict.message or verdict.reason,
    }
    details = verdict.as_dict()
    return AdmissionRefused(
        message, extra={"rule": details["rule"], "reason": verdict.reason, "reason_code": verdict.reason_code},
    )


def admission_check(*, case, planned_date=None, session=None) -> None:
    """Raise AdmissionRefused naming the first rule the booking of `case` on `planned_date` fails.

    `session` is accepted for symmetry with the capacity calls; no admission rule depends on it yet.
    """
    for verdict in _verdicts(subject_for_case(case, planned_date=planned_date)):
        if not verdict.passed:
            raise refusal_for_verdict(verdict)


# --- booking modes (B5, Y12) -------------------------------------------------------------------------------------


def _groups_of(user):
    return MedicalGroup.objects.filter(Q(members=user) | Q(leader=user)).values_list("pk", flat=True)


def active_grants(*, on=None):
    on = on or timezone.localdate()
    return BookingModeGrant.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on),
        Q(valid_until__isnull=True) | Q(valid_until__gte=on),
        revoked_at__isnull=True,
    )


def grant_for(*, requester, mode, surgeon):
    """The grant that lets `requester` book `surgeon`'s patients in `mode` today, or None."""
    grantee = Q(grantee_user=requester) | Q(grantee_group__in=list(_groups_of(requester)))
    if requester.department_id:
        grantee |= Q(grantee_department_id=requester.department_id)
    target = Q(target_department__isnull=True)
    if surgeon.department_id:
        target |= Q(target_department_id=surgeon.department_id)
    return active_grants().filter(grantee, target, mode=mode).order_by("id").first()


def booking_mode_of(*, requester, surgeon) -> str:
    """The relationship between who books and whose patient it is (no authorisation check)."""
    if requester is None:
        return BookingMode.VIRTUAL if surgeon.is_virtual else ""
    if requester.pk == surgeon.pk:
        return BookingMode.OWN
    if surgeon.is_virtual:
        return BookingMode.VIRTUAL
    if MedicalGroup.objects.filter(leader=surgeon, members=requester).exists():
        return BookingMode.GROUP
    if has_permission(requester, BOOK_ON_BEHALF.slug):
        return BookingMode.ON_BEHALF  # booking staff of the day-surgery centre book for the surgeons
    if requester.department_id != surgeon.department_id:
        return BookingMode.CROSS_DEPARTMENT
    return BookingMode.ON_BEHALF  # a colleague of the same department: only booking staff may


def booking_mode_resolve(*, requester, surgeon) -> str:
    """The booking mode of `requester` booking for `surgeon`; raises BookingModeNotAuthorised unless allowed.

    own: always. group, cross_department, virtual: an administrator's grant to the requester, one of their
    medical groups or their department (booking_policy.BookingModeGrant). on_behalf: the permission
    booking_policy.book_on_behalf. requester None (the system) is not checked.
    """
    mode = booking_mode_of(requester=requester, surgeon=surgeon)
    if requester is None or mode == BookingMode.OWN:
        return mode
    if mode == BookingMode.ON_BEHALF:
        if not has_permission(requester, BOOK_ON_BEHALF.slug):
            raise _not_authorised(mode, surgeon)
        return mode
    if grant_for(requester=requester, mode=mode, surgeon=surgeon) is None:
        raise _not_authorised(mode, surgeon)
    return mode


def _not_authorised(mode, surgeon):
    label = BookingMode(mode).label
    return BookingModeNotAuthorised(
        _("Booking %(mode)s for %(surgeon)s needs an administrator's authorisation, which you do not have.")
        % {"mode": label, "surgeon": surgeon.name},
        extra={"mode": mode},
    )


# --- administration: rules and grants (audited with before/after) ------------------------------------------------

RULE_FIELDS = (
    "name", "kind", "scope", "department", "ward", "management_mode", "is_enabled", "message", "position",
    "min_age", "max_age", "grades", "body_sites", "body_site_policy", "triage_levels", "max_active_bookings",
)
_RULE_PARAMS = {
    RuleKind.AGE: ("min_age", "max_age"),
    RuleKind.GRADE: ("grades",),
    RuleKind.BODY_SITE: ("body_sites", "body_site_policy"),
    RuleKind.TRIAGE: ("triage_levels",),
    RuleKind.ACTIVE_BOOKINGS: ("max_active_bookings",),
}
_PARAM_DEFAULTS = {"min_age": None, "max_age": None, "grades": [], "body_sites": [],
                   "body_site_policy": BodySitePolicy.ALLOW, "triage_levels": [], "max_active_bookings": None}


def snapshot(instance) -> dict:
    """Concrete fields of a row for the audit log, foreign keys as public UUIDs."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in ("id", "created_at", "updated_at"):
            continue
        if isinstance(field, models.ForeignKey):
            related = getattr(instance, field.name)
            data[field.name] = str(related.uuid) if related is not None else None
        else:
            data[field.name] = field.value_from_object(instance)
    return to_jsonable(data)


def _int_list(values, allowed, field, problems):
    if not isinstance(values, list) or not values or any(v not in allowed for v in values):
        problems[field] = [_("Choose one or more of %(values)s.") % {"values": "、".join(str(v) for v in allowed)}]
        return values
    return sorted(set(values))


def _validate_rule(rule):
    problems = {}
    hospital_id = rule.hospital_id
    if rule.scope == RuleScope.DEPARTMENT:
        if rule.department is None:
            problems["department"] = [_("Choose the department the rule applies to.")]
        elif rule.department.hospital_id != hospital_id:
            problems["department"] = [_("The department belongs to another hospital.")]
    if rule.scope == RuleScope.WARD:
        if rule.ward is None:
            problems["ward"] = [_("Choose the ward the rule applies to.")]
        elif rule.ward.department.hospital_id != hospital_id:
            problems["ward"] = [_("The ward belongs to another hospital.")]
    if rule.scope == RuleScope.MANAGEMENT_MODE and not rule.management_mode:
        problems["management_mode"] = [_("Choose the management mode the rule applies to.")]
    # A rule keeps only the references of its scope, so a scope change cannot leave a stale one behind.
    if rule.scope != RuleScope.DEPARTMENT:
        rule.department = None
    if rule.scope != RuleScope.WARD:
        rule.ward = None
    if rule.scope != RuleScope.MANAGEMENT_MODE:
        rule.management_mode = ""
    if not (rule.name or "").strip():
        problems["name"] = [_("This field is required.")]
    if rule.kind == RuleKind.AGE:
        if rule.min_age is None and rule.max_age is None:
            problems["min_age"] = [_("Give a minimum age, a maximum age or both.")]
        elif rule.min_age is not None and rule.max_age is not None and rule.min_age > rule.max_age:
            problems["max_age"] = [_("The maximum age cannot be below the minimum age.")]
    elif rule.kind == RuleKind.GRADE:
        rule.grades = _int_list(rule.grades, (1, 2, 3, 4), "grades", problems)
    elif rule.kind == RuleKind.TRIAGE:
        rule.triage_levels = _int_list(rule.triage_levels, (1, 2, 3, 4), "triage_levels", problems)
    elif rule.kind == RuleKind.BODY_SITE:
        sites = rule.body_sites if isinstance(rule.body_sites, list) else []
        sites = sorted({str(s).strip() for s in sites if isinstance(s, str) and s.strip()})
        if not sites:
            problems["body_sites"] = [_("List at least one body site.")]
        rule.body_sites = sites
    elif rule.kind == RuleKind.ACTIVE_BOOKINGS and not rule.max_active_bookings:
        problems["max_active_bookings"] = [_("Give the maximum number of active bookings (at least 1).")]
    if problems:
        raise InvalidInput(fields=problems)
    # Parameters of other kinds are cleared: what the audit log shows is what the rule checks.
    used = _RULE_PARAMS[rule.kind]
    for name, default in _PARAM_DEFAULTS.items():
        if name not in used:
            setattr(rule, name, default)


@transaction.atomic
def admission_rule_create(*, actor, hospital, **fields) -> AdmissionRule:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(fields={f: [_("This field cannot be set.")] for f in sorted(unknown)})
    rule = AdmissionRule(hospital=hospital, **fields)
    _validate_rule(rule)
    rule.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=rule, after=snapshot(rule),
                 detail="create admission rule")
    return rule


@transaction.atomic
def admission_rule_update(*, actor, rule, **changes) -> AdmissionRule:
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(fields={f: [_("This field cannot be changed.")] for f in sorted(unknown)})
    rule = AdmissionRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(rule)
    for key, value in changes.items():
        setattr(rule, key, value)
    _validate_rule(rule)
    after = snapshot(rule)
    if after == before:
        return rule
    rule.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=rule, before=before, after=after,
                 detail="update admission rule")
    return rule


@transaction.atomic
def admission_rule_delete(*, actor, rule) -> None:
    before = snapshot(rule)
    target_id, target_repr = str(rule.uuid), str(rule)
    rule.delete()
    audit_record(actor=actor, action=AuditAction.CONFIG, target_type=AdmissionRule._meta.label_lower,
                 target_id=target_id, target_repr=target_repr, before=before, after=None,
                 detail="delete admission rule")


@transaction.atomic
def booking_mode_grant_create(
    *, actor, mode, grantee_kind, grantee_department=None, grantee_group=None, grantee_user=None,
    target_department=None, valid_from=None, valid_until=None, note="",
) -> BookingModeGrant:
    """Authorise a department, a medical group or one doctor to book in `mode` (B5, Y12)."""
    problems = {}
    if mode not in GrantableMode.values:
        problems["mode"] = [_("Only group, cross-department and virtual bookings need a grant.")]
    grantees = {GranteeKind.DEPARTMENT: grantee_department, GranteeKind.GROUP: grantee_group,
                GranteeKind.DOCTOR: grantee_user}
    if grantee_kind not in grantees:
        problems["grantee_kind"] = [_("Unknown grantee kind.")]
    else:
        field = f"grantee_{'user' if grantee_kind == GranteeKind.DOCTOR else grantee_kind}"
        if grantees[grantee_kind] is None:
            problems[field] = [_("This field is required.")]
        for kind, value in grantees.items():
            if kind != grantee_kind and value is not None:
                other = f"grantee_{'user' if kind == GranteeKind.DOCTOR else kind}"
                problems[other] = [_("A grant names one grantee: leave this empty.")]
    if grantee_user is not None and (grantee_user.is_virtual or not grantee_user.is_active):
        problems["grantee_user"] = [_("Choose an enabled, real doctor.")]
    if mode == GrantableMode.GROUP and target_department is not None:
        problems["target_department"] = [_("Group bookings are within the group: leave this empty.")]
    if valid_from and valid_until and valid_until < valid_from:
        problems["valid_until"] = [_("The end of validity cannot be before its start.")]
    if problems:
        raise InvalidInput(fields=problems)
    grant = BookingModeGrant.objects.create(
        mode=mode, grantee_kind=grantee_kind, grantee_department=grantee_department, grantee_group=grantee_group,
        grantee_user=grantee_user, target_department=target_department, valid_from=valid_from,
        valid_until=valid_until, note=note or "", granted_by=actor if _is_staff(actor) else None,
    )
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=grant, after=snapshot(grant),
                 detail="grant booking mode")
    return grant


def _is_staff(actor):
    return actor is not None and not getattr(actor, "is_patient", False)


@transaction.atomic
def booking_mode_grant_revoke(*, actor, grant, reason="") -> BookingModeGrant:
    grant = BookingModeGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise Conflict(_("This authorisation is already revoked."), code="already_revoked")
    before = snapshot(grant)
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor if _is_staff(actor) else None
    grant.revoke_reason = reason or ""
    grant.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=grant, before=before,
                 after=snapshot(grant), detail="revoke booking mode")
    return grant


# --- virtual bookings: the day-before to-do and the assignment (B5) ----------------------------------------------

ASSIGNABLE_STATES = (CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED)


@transaction.atomic
def surgeon_assignment_tasks_refresh(*, today=None) -> dict:
    """Open a to-do for each of tomorrow's bookings still under a virtual surgeon; close the ones no longer needed.

    Idempotent (one row per case): run it daily and on demand.
    """
    from cases.models import SurgicalCase

    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    due = SurgicalCase.objects.filter(
        planned_date=tomorrow, state__in=ASSIGNABLE_STATES, surgeon__is_virtual=True
    ).only("pk", "ward_id", "planned_date", "surgeon_id")
    opened = 0
    for case in due:
        task, created = SurgeonAssignmentTask.objects.get_or_create(
            case=case,
            defaults={"ward_id": case.ward_id, "planned_date": case.planned_date, "virtual_surgeon_id": case.surgeon_id},
        )
        if created:
            opened += 1
        elif task.status != AssignmentStatus.OPEN or task.planned_date != case.planned_date:
            task.status, task.planned_date, task.closed_at = AssignmentStatus.OPEN, case.planned_date, None
            task.ward_id, task.virtual_surgeon_id = case.ward_id, case.surgeon_id
            task.save()
            opened += 1
    # Open to-dos whose case left the flow, moved to another day or got a real surgeon another way.
    stale = SurgeonAssignmentTask.objects.filter(status=AssignmentStatus.OPEN).exclude(
        case__in=SurgicalCase.objects.filter(
            state__in=ASSIGNABLE_STATES, surgeon__is_virtual=True, planned_date__gte=today
        )
    )
    cancelled = stale.update(status=AssignmentStatus.CANCELLED, closed_at=timezone.now())
    return {"opened": opened, "cancelled": cancelled}


def surgeon_assignable_check(*, case, surgeon) -> None:
    """The real surgeon of a virtual booking: enabled, not virtual, of the case's department or admitted to the
    procedure (the surgeon level of admission control)."""
    problem = None
    if getattr(surgeon, "is_patient", False) or not surgeon.is_active or surgeon.is_virtual:
        problem = _("Choose an enabled surgeon who is not a virtual surgeon.")
    elif case.procedure is not None:
        departments = {case.department_id, case.ward.department_id}
        if case.procedure.department_id:
            departments.add(case.procedure.department_id)
        passed, _code, reason = surgeon_admitted(case.procedure, surgeon, department_ids=departments)
        if not passed:
            problem = reason
    elif surgeon.department_id not in (case.department_id, case.ward.department_id):
        problem = _("Choose a surgeon of the case's department.")
    if problem is not None:
        raise InvalidInput(str(problem), code="surgeon_not_assignable", fields={"surgeon": [str(problem)]})


@transaction.atomic
def surgeon_assign(*, actor, case, surgeon, expected_version=None):
    """Name the real surgeon of a virtual booking (cases.services.case_assign_surgeon) and close its to-do."""
    from cases.services import case_assign_surgeon

    case = case_assign_surgeon(case=case, surgeon=surgeon, actor=actor, expected_version=expected_version)
    SurgeonAssignmentTask.objects.update_or_create(
        case=case,
        defaults={
            "ward_id": case.ward_id, "planned_date": case.planned_date, "virtual_surgeon_id": case.virtual_surgeon_id,
            "status": AssignmentStatus.DONE, "assigned_surgeon": surgeon,
            "assigned_by": actor if _is_staff(actor) else None, "closed_at": case.surgeon_assigned_at,
        },
    )
    return case
