"""Writes of the doctor assessment: settings, high-risk rules (Y9), findings (D5), results pulls (D1), decisions.

Findings are derived data: `findings_evaluate(case)` recomputes them from the stored results within the case's
window and the hospital's rules, and appends `clinical.findings.flagged` when the set of flags changed. It runs
after every results fetch (handler on `clinical.results.fetched`), after rule or settings changes (handler on
`doctor_assessment.rules.changed`), in the periodic pull, and from `manage.py findings_rebuild` (repair).
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from cases.models import CaseState, SurgicalCase
from core.errors import ExternalServiceError, InvalidInput
from core.outbox import outbox_publish
from core.serialization import to_jsonable
from doctor_assessment import errors, rules
from doctor_assessment.models import (
    SEVERITY_ORDER,
    AssessmentSettings,
    CaseFinding,
    CaseRiskState,
    Comparator,
    Decision,
    DoctorAssessment,
    ExamScope,
    FindingCategory,
    HighRiskRule,
    HighRiskRuleVersion,
    RuleKind,
    Severity,
)

logger = logging.getLogger(__name__)

FLAGGED_EVENT = "clinical.findings.flagged"
AMENDED_EVENT = "doctor_assessment.assessment.amended"
RULES_CHANGED = "doctor_assessment.rules.changed"
# Cases whose findings still matter (before surgery, and on the day): ended cases keep what they had.
EVALUATED_STATES = (CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED, CaseState.APPLICATION_SENT,
                    CaseState.SCHEDULED, CaseState.ADMITTED, CaseState.IN_THEATRE)
MAX_CODES, MAX_KEYWORDS = 20, 30


# --- settings (per hospital) ----------------------------------------------------------------------------------
def hospital_of_case(case):
    return case.department.hospital if case.department_id else case.ward.department.hospital


def settings_for(hospital) -> dict:
    row = AssessmentSettings.objects.filter(hospital=hospital).first() if hospital is not None else None
    return {
        "results_window_days": row.results_window_days if row else int(
            getattr(settings, "DOCTOR_ASSESSMENT_RESULTS_WINDOW_DAYS", 30)),
        "pull_ahead_days": row.pull_ahead_days if row else int(getattr(settings, "DOCTOR_ASSESSMENT_PULL_AHEAD_DAYS", 7)),
        "custom": row is not None,
    }


def actor_hospital(actor):
    department = getattr(actor, "department", None)
    return department.hospital if department is not None else None


def _check_hospital(actor, hospital):
    """Administrators manage their own hospital's rules and settings; platform defaults (hospital None) only
    superusers and system jobs."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    own = actor_hospital(actor)
    if hospital is None or own is None or own.pk != hospital.pk:
        raise errors.HospitalNotAllowed()


@transaction.atomic
def assessment_settings_update(*, actor, hospital, results_window_days=None, pull_ahead_days=None) -> dict:
    _check_hospital(actor, hospital)
    problems = {}
    if results_window_days is not None and not 1 <= results_window_days <= 365:
        problems["results_window_days"] = [_("Give between 1 and 365 days.")]
    if pull_ahead_days is not None and not 0 <= pull_ahead_days <= 30:
        problems["pull_ahead_days"] = [_("Give between 0 and 30 days.")]
    if problems:
        raise InvalidInput(fields=problems)
    # The hospital row serialises the first save (no settings row to lock yet: two would both insert one).
    type(hospital).objects.select_for_update().filter(pk=hospital.pk).first()
    row = AssessmentSettings.objects.select_for_update().filter(hospital=hospital).first()
    before = settings_for(hospital)
    if row is None:
        row = AssessmentSettings(hospital=hospital, results_window_days=before["results_window_days"],
                                 pull_ahead_days=before["pull_ahead_days"])
    if results_window_days is not None:
        row.results_window_days = results_window_days
    if pull_ahead_days is not None:
        row.pull_ahead_days = pull_ahead_days
    row.updated_by = actor
    row.save()
    after = settings_for(hospital)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=row, before=before,
                 after=after, detail="doctor assessment settings")
    if before["results_window_days"] != after["results_window_days"]:
        outbox_publish(topic=RULES_CHANGED, key=str(hospital.uuid), payload={"hospital": hospital.pk})
    return after


# --- rules (Y9) ---------------------------------------------------------------------------------------------------
RULE_FIELDS = ("key", "label", "kind", "category", "codes", "comparator", "threshold", "exam_kind", "keywords",
               "procedure", "department", "severity", "is_enabled", "position", "note")


def rule_snapshot(rule) -> dict:
    return to_jsonable({
        "key": rule.key, "label": rule.label, "kind": rule.kind, "category": rule.category, "codes": rule.codes,
        "comparator": rule.comparator, "threshold": rule.threshold, "exam_kind": rule.exam_kind,
        "keywords": rule.keywords, "procedure": rule.procedure.code if rule.procedure_id else None,
        "department": rule.department.code if rule.department_id else None, "severity": rule.severity,
        "is_enabled": rule.is_enabled, "position": rule.position, "note": rule.note, "version": rule.version,
        "hospital": rule.hospital.code if rule.hospital_id else None,
    })


def _texts(value, field, *, limit, max_length, required):
    if value is None:
        value = []
    if not isinstance(value, list) or len(value) > limit:
        raise InvalidInput(fields={field: [_("Give a list of at most %(n)d entries.") % {"n": limit}]})
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > max_length:
            raise InvalidInput(fields={field: [_("Each entry must be a non-empty text of at most %(n)d characters.")
                                               % {"n": max_length}]})
        if item.strip() not in out:
            out.append(item.strip())
    if required and not out:
        raise InvalidInput(fields={field: [_("Give at least one entry.")]})
    return out


def _clean_rule(rule, hospital):
    """Validate the rule as a whole (kind decides which fields it needs); normalises lists in place."""
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,59}", rule.key or ""):
        raise InvalidInput(fields={"key": [_("Use 2 to 60 lower-case letters, digits, '-' or '_'.")]})
    if not (rule.label or "").strip():
        raise InvalidInput(fields={"label": [_("This field is required.")]})
    if rule.kind not in RuleKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown rule kind.")]})
    if rule.severity not in Severity.values:
        raise InvalidInput(fields={"severity": [_("Unknown severity.")]})
    lab = rule.kind in (RuleKind.LAB_NUMERIC, RuleKind.LAB_POSITIVE)
    rule.codes = _texts(rule.codes, "codes", limit=MAX_CODES, max_length=40, required=lab)
    rule.keywords = _texts(rule.keywords, "keywords", limit=MAX_KEYWORDS, max_length=50,
                           required=rule.kind == RuleKind.EXAM_KEYWORD)
    if not rule.category:
        rule.category = {RuleKind.LAB_NUMERIC: FindingCategory.LAB_THRESHOLD, RuleKind.LAB_POSITIVE:
                         FindingCategory.INFECTIOUS, RuleKind.EXAM_KEYWORD: FindingCategory.EXAM_KEYWORD}[rule.kind]
    allowed = {RuleKind.LAB_NUMERIC: (FindingCategory.LAB_THRESHOLD, FindingCategory.INFECTIOUS),
               RuleKind.LAB_POSITIVE: (FindingCategory.INFECTIOUS, FindingCategory.LAB_THRESHOLD),
               RuleKind.EXAM_KEYWORD: (FindingCategory.EXAM_KEYWORD,)}[rule.kind]
    if rule.category not in allowed:
        raise InvalidInput(fields={"category": [_("This category does not fit the rule kind.")]})
    if rule.kind == RuleKind.LAB_NUMERIC:
        problems = {}
        if rule.comparator not in Comparator.values:
            problems["comparator"] = [_("Choose how the value is compared with the threshold.")]
        if rule.threshold is None:
            problems["threshold"] = [_("A threshold is required for a lab value rule.")]
        if problems:
            raise InvalidInput(fields=problems)
    else:
        rule.comparator, rule.threshold = "", None
    if rule.kind != RuleKind.EXAM_KEYWORD:
        rule.keywords, rule.exam_kind = [], ""
    elif rule.exam_kind not in ExamScope.values:
        raise InvalidInput(fields={"exam_kind": [_("Unknown exam kind.")]})
    if rule.department_id and hospital is not None and rule.department.hospital_id != hospital.pk:
        raise InvalidInput(fields={"department": [_("The department belongs to another hospital.")]})
    if hospital is not None:
        # A hospital rule with a default's key replaces that default in the whole hospital: narrowed to a procedure
        # or department, the default's check would silently stop for every other one.
        default = HighRiskRule.objects.filter(hospital__isnull=True, key=rule.key).first()
        if default is not None:
            message = _("A rule replacing a platform default keeps its procedure and department; give a new key "
                        "for a rule of one procedure or department.")
            if rule.procedure_id != default.procedure_id:
                raise InvalidInput(fields={"procedure": [message]})
            if rule.department_id != default.department_id:
                raise InvalidInput(fields={"department": [message]})


def _version(rule, *, actor, action):
    HighRiskRuleVersion.objects.create(
        rule=rule if action != "deleted" else None, rule_uuid=rule.uuid, hospital=rule.hospital,
        version=rule.version, action=action, snapshot=rule_snapshot(rule), actor=actor,
        actor_name=(getattr(actor, "name", "") or "system")[:100], at=timezone.now())


def _rules_changed(hospital):
    outbox_publish(topic=RULES_CHANGED, key=str(hospital.uuid) if hospital else "default",
                   payload={"hospital": hospital.pk if hospital else None})


def _save_rule(rule, *, actor, action, before=None):
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError as exc:
        raise errors.RuleKeyTaken(fields={"key": [str(errors.RuleKeyTaken.default_message)]}) from exc
    _version(rule, actor=actor, action=action)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=rule, before=before,
                 after=rule_snapshot(rule), detail=f"high-risk rule {action}")
    _rules_changed(rule.hospital)
    return rule


@transaction.atomic
def rule_create(*, actor, hospital, **fields) -> HighRiskRule:
    """A rule of `hospital` (None: a platform default, superusers only)."""
    _check_hospital(actor, hospital)
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in unknown})
    rule = HighRiskRule(hospital=hospital, **fields)
    _clean_rule(rule, hospital)
    if HighRiskRule.objects.filter(hospital=hospital, key=rule.key).exists():
        raise errors.RuleKeyTaken(fields={"key": [str(errors.RuleKeyTaken.default_message)]})
    return _save_rule(rule, actor=actor, action="created")


@transaction.atomic
def rule_update(*, actor, rule, expected_version=None, **changes) -> HighRiskRule:
    """Change a rule. A hospital administrator changing a platform default gets the hospital's own copy (same key,
    the changes applied): the default stays as it is for the other hospitals."""
    unknown = set(changes) - set(RULE_FIELDS) - {"key"}
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in unknown})
    locked = HighRiskRule.objects.select_for_update(of=("self",)).select_related("hospital", "procedure", "department").get(
        pk=rule.pk)
    if expected_version is not None and locked.version != expected_version:
        raise errors.RuleVersionConflict(extra={"version": locked.version})
    if locked.hospital_id is None and actor is not None and not getattr(actor, "is_superuser", False):
        hospital = actor_hospital(actor)
        _check_hospital(actor, hospital)
        copy = HighRiskRule(hospital=hospital, **{f: getattr(locked, f) for f in RULE_FIELDS})
        copy.codes, copy.keywords = list(locked.codes), list(locked.keywords)
        changes.pop("key", None)  # the override keeps the default's key: that is what makes it an override
        for name, value in changes.items():
            setattr(copy, name, value)
        _clean_rule(copy, hospital)
        if HighRiskRule.objects.filter(hospital=hospital, key=copy.key).exists():
            raise errors.RuleKeyTaken(fields={"key": [str(errors.RuleKeyTaken.default_message)]})
        return _save_rule(copy, actor=actor, action="created", before=rule_snapshot(locked))
    _check_hospital(actor, locked.hospital)
    before = rule_snapshot(locked)
    for name, value in changes.items():
        setattr(locked, name, value)
    _clean_rule(locked, locked.hospital)
    if rule_snapshot(locked) == before:
        return locked
    locked.version += 1
    return _save_rule(locked, actor=actor, action="updated", before=before)


@transaction.atomic
def rule_delete(*, actor, rule) -> HighRiskRule | None:
    """Delete a hospital's rule (its default, if it overrode one, applies again). A hospital administrator
    'deleting' a platform default gets a disabled override instead (returned)."""
    locked = HighRiskRule.objects.select_for_update(of=("self",)).select_related("hospital", "procedure", "department").get(
        pk=rule.pk)
    if locked.hospital_id is None and actor is not None and not getattr(actor, "is_superuser", False):
        return rule_update(actor=actor, rule=locked, is_enabled=False)
    _check_hospital(actor, locked.hospital)
    before = rule_snapshot(locked)
    locked.version += 1
    _version(locked, actor=actor, action="deleted")
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=locked, before=before,
                 detail="high-risk rule deleted")
    _rules_changed(locked.hospital)
    locked.delete()
    return None


# --- findings (D5) ------------------------------------------------------------------------------------------------
def case_window(case, window_days: int) -> tuple[datetime, datetime]:
    """Results issued from `window_days` before the surgery date up to the end of that day count (D1)."""
    day = case.planned_date or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day - timedelta(days=window_days), time.min), tz)
    end = timezone.make_aware(datetime.combine(day, time.max), tz)
    return start, end


def _results(case, start, end):
    from clinical.selectors import exam_reports_search, lab_results_search

    labs = list(lab_results_search(patient=case.patient, issued_from=start, issued_to=end))
    exams = list(exam_reports_search(patient=case.patient, issued_from=start, issued_to=end))
    newest = {}
    # Newest report first by its issue time, or when we fetched it if the LIS gave none (the database order puts
    # reports without an issue time first: their old values must not hide a newer result).
    for result in sorted(labs, key=lambda r: r.report.issued_at or r.report.fetched_at, reverse=True):
        newest.setdefault(result.code.strip().lower(), result)
    return labs, newest, exams


def _summary(labs, exams) -> dict:
    issued = [r.report.issued_at for r in labs if r.report.issued_at] + [e.issued_at for e in exams if e.issued_at]
    return to_jsonable({
        "labs": len(labs), "labs_abnormal": sum(1 for r in labs if r.abnormal),
        "labs_critical": sum(1 for r in labs if r.critical),
        "lab_reports": len({r.report_id for r in labs}), "exams": len(exams),
        "exams_abnormal": sum(1 for e in exams if e.abnormal), "latest_issued_at": max(issued) if issued else None,
    })


def _flag_key(flag: dict):
    return (flag["category"], flag["code"], flag["label"], flag["rule"])


@transaction.atomic
def findings_evaluate(case, *, now=None) -> bool:
    """Recompute the case's findings; True when its set of flags changed (then the case event was appended)."""
    from cases.services import case_append_event, case_lock
    from doctor_assessment.selectors import effective_rules

    now = now or timezone.now()
    locked = case_lock(case)
    locked = SurgicalCase.objects.select_related("ward__department__hospital", "department__hospital", "patient",
                                                 "procedure").get(pk=locked.pk)
    hospital = hospital_of_case(locked)
    window_days = settings_for(hospital)["results_window_days"]
    start, end = case_window(locked, window_days)
    labs, newest, exams = _results(locked, start, end)
    applicable = [r for r in effective_rules(hospital) if r.is_enabled and rules.applies_to(r, locked)]
    found = rules.evaluate(applicable, newest, exams)
    flags = sorted({_flag_key(f.flag): f.flag for f in found}.values(), key=_flag_key)
    state, _created = CaseRiskState.objects.get_or_create(case=locked)
    previous = sorted(state.flags or [], key=_flag_key)
    changed = [_flag_key(f) for f in flags] != [_flag_key(f) for f in previous]
    CaseFinding.objects.filter(case=locked).delete()
    CaseFinding.objects.bulk_create([
        CaseFinding(case=locked, rule=f.rule, rule_key=f.rule.key, category=f.rule.category, severity=f.rule.severity,
                    source=f.source, code=(f.code or "")[:40], label=f.rule.label[:100], value=f.value,
                    lab_result=f.lab_result, exam_report=f.exam_report, issued_at=f.issued_at, detected_at=now)
        for f in found
    ])
    severities = [f.rule.severity for f in found]
    state.high_risk = bool(flags)
    state.categories = sorted({f["category"] for f in flags})
    state.flags = flags
    state.max_severity = max(severities, key=lambda s: SEVERITY_ORDER[s]) if severities else ""
    state.summary = _summary(labs, exams)
    state.window_from, state.window_to, state.evaluated_at = start, end, now
    if changed:
        state.changed_at = now
    state.save()
    if changed:
        case_append_event(locked, type=FLAGGED_EVENT, actor=None, payload={
            "high_risk": bool(flags), "categories": state.categories, "flags": flags})
    return changed


def findings_evaluate_patient(patient) -> int:
    """After a results fetch: every case of the patient still before (or on) its surgery. Returns the changes."""
    changed = 0
    for case in SurgicalCase.objects.filter(patient=patient, state__in=EVALUATED_STATES).order_by("pk"):
        changed += findings_evaluate(case)
    return changed


def findings_rebuild(*, hospital=None, cases=None, write=None) -> dict:
    """Evaluate again every case still before surgery (of `hospital`, or all), e.g. after a rule change or to
    repair a missed message. `write` receives progress lines."""
    qs = cases if cases is not None else SurgicalCase.objects.filter(state__in=EVALUATED_STATES)
    if hospital is not None:
        qs = qs.filter(Q(department__hospital=hospital))
    ids = list(qs.order_by("pk").values_list("pk", flat=True))
    counts = {"cases": 0, "changed": 0}
    for n, pk in enumerate(ids, start=1):
        case = SurgicalCase.objects.filter(pk=pk).first()
        if case is None:
            continue
        counts["cases"] += 1
        counts["changed"] += findings_evaluate(case)
        if write and (n % 50 == 0 or n == len(ids)):
            write(f"  findings: {n}/{len(ids)} cases evaluated, {counts['changed']} changed")
    return counts


# --- results pull (D1) --------------------------------------------------------------------------------------------
def results_pull(case, *, actor=None, images=True) -> dict:
    """Fetch the case's visit results from the LIS/PACS (clinical_results_fetch), copy the exam images within the
    window (D3), then evaluate the findings. A hospital system being down is recorded on the case's risk state
    (`pull_error`), not raised: the periodic task moves on to the next case."""
    from clinical.models import ExamReport
    from clinical.services import clinical_results_fetch, exam_images_sync

    outcome = {"labs": 0, "exams": 0, "images": 0, "error": ""}
    if not case.visit_no:
        outcome["error"] = "no_visit_number"
    else:
        try:
            fetched = clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=actor)
            outcome.update(labs=fetched["labs"], exams=fetched["exams"])
        except ExternalServiceError as exc:
            outcome["error"] = exc.code
            stored = (exc.extra or {}).get("stored") or {}
            outcome.update(labs=stored.get("labs", 0), exams=stored.get("exams", 0))
        except InvalidInput:
            outcome["error"] = "no_registration_number"
    if images and outcome["error"] != "no_registration_number":
        hospital = hospital_of_case(case)
        start, end = case_window(case, settings_for(hospital)["results_window_days"])
        reports = ExamReport.objects.select_related("patient").filter(
            patient=case.patient, images_synced_at__isnull=True, issued_at__gte=start, issued_at__lte=end)
        for report in reports:
            try:
                outcome["images"] += exam_images_sync(report=report, actor=actor)["stored"]
            except ExternalServiceError as exc:
                outcome["error"] = outcome["error"] or exc.code
                break
    findings_evaluate(case)
    CaseRiskState.objects.filter(case=case).update(results_pulled_at=timezone.now(), pull_error=outcome["error"][:60])
    return outcome


def results_pull_due(*, now=None, limit: int = 500) -> dict:
    """The periodic pull (D1): cases planned from today up to each hospital's `pull_ahead_days`, before surgery,
    with a visit number, not pulled in the last DOCTOR_ASSESSMENT_PULL_EVERY_MINUTES."""
    from org.models import Hospital

    now = now or timezone.now()
    today = timezone.localdate(now)
    every = timedelta(minutes=int(getattr(settings, "DOCTOR_ASSESSMENT_PULL_EVERY_MINUTES", 120)))
    counts = {"cases": 0, "failed": 0}
    for hospital in Hospital.objects.order_by("pk"):
        ahead = settings_for(hospital)["pull_ahead_days"]
        due = (SurgicalCase.objects.select_related("patient", "ward__department__hospital", "department__hospital")
               .filter(department__hospital=hospital, state__in=EVALUATED_STATES, planned_date__gte=today,
                       planned_date__lte=today + timedelta(days=ahead))
               .exclude(visit_no="")
               .filter(Q(risk_state__isnull=True) | Q(risk_state__results_pulled_at__isnull=True)
                       | Q(risk_state__results_pulled_at__lt=now - every))
               .order_by("planned_date", "pk")[: limit - counts["cases"]])
        for case in due:
            outcome = results_pull(case)
            counts["cases"] += 1
            counts["failed"] += bool(outcome["error"])
        if counts["cases"] >= limit:
            break
    return counts


# --- the decision -------------------------------------------------------------------------------------------------
def own_surgeon_ids(user) -> set[int] | None:
    """The surgeons whose cases are `user`'s own: the user, and every leader and member of the user's medical
    groups (as leader or member). None for a superuser: every surgeon's (within the ward scope)."""
    from org.models import MedicalGroup

    if getattr(user, "is_superuser", False):
        return None
    groups = list(MedicalGroup.objects.filter(Q(leader=user) | Q(members=user)).distinct()
                  .prefetch_related("members"))
    ids = {user.pk}
    for group in groups:
        ids.add(group.leader_id)
        ids.update(m.pk for m in group.members.all())
    return ids


def is_own_case(user, case) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    ids = own_surgeon_ids(user) or set()
    return case.surgeon_id in ids or (case.virtual_surgeon_id is not None and case.virtual_surgeon_id in ids)


@transaction.atomic
def assessment_record(*, case, actor, decision: str, note: str = "", expected_version=None) -> DoctorAssessment:
    """The surgeon's decision (pass / needs attention / not suitable) with a note: recorded on the case's
    pre-op assessment milestone (case_record_milestone: ward scope, permission, the states in which it may still
    change, the version the client saw) and kept with its author, time and the findings the doctor saw."""
    from cases.services import case_append_event, case_lock, case_record_milestone

    if decision not in Decision.values:
        raise InvalidInput(fields={"decision": [_("Choose passed, needs attention or not suitable.")]})
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(fields={"note": [_("Keep the note within 2000 characters.")]})
    if decision != Decision.PASSED and not note:
        raise errors.NoteRequired(fields={"note": [_("Say why: the note is required unless the patient passed.")]})
    if actor is not None and not is_own_case(actor, case):
        # Ward scope first (a case of another ward is a missing case), then ownership.
        from org.scoping import ward_scope_for

        if not ward_scope_for(actor).allows_ward(case.ward_id):
            from core.errors import NotFound

            raise NotFound()
        raise errors.NotOwnPatient()
    before_status = case.preop_assessment_status
    last_sequence = case.events.order_by("-sequence").values_list("sequence", flat=True).first()
    locked = case_record_milestone(case=case, milestone="preop_assessment", status=decision, actor=actor, note=note,
                                   expected_version=expected_version)
    state = CaseRiskState.objects.filter(case=locked).first()
    now = timezone.now()
    row = DoctorAssessment.objects.create(
        case=locked, decision=decision, note=note, author=actor, author_name=(actor.name if actor else "system")[:100],
        decided_at=now, high_risk=bool(state and state.high_risk), flags=list(state.flags) if state else [],
        case_version=locked.version)
    newest = locked.events.order_by("-sequence").values_list("sequence", flat=True).first()
    if before_status == decision and newest == last_sequence:
        # Same decision again (a note added or corrected): the milestone did not change, the timeline still says so.
        case_append_event(case_lock(locked), type=AMENDED_EVENT, actor=actor,
                          payload={"assessment": str(row.uuid), "decision": decision, "note": note})
    audit_record(actor=actor, system=actor is None, action=AuditAction.CREATE, target=row,
                 after={"decision": decision, "note": note, "high_risk": row.high_risk, "case": str(locked.uuid)},
                 detail="doctor pre-op assessment")
    return row
