"""Reads of pre-operative patient management. Every patient-bearing queryset goes through org.scoping; cards are
built from prefetched rows (icons are CaseIcon rows kept by the rules handler), so a page of N cards costs the
same few queries as a page of one."""

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, F, Prefetch, Q
from django.utils import timezone

from accounts.permissions import has_permission
from capacity.models import CapacityKind, CapacitySlot, OwnerType, WeeklyTemplate, owner_key
from cases.models import (
    CancelReason,
    CancelStage,
    CaseEvent,
    CaseState,
    IdentifierSystem,
    PatientIdentifier,
    Session,
    SurgicalCase,
)
from core.identity import mask_name, mask_phone
from org.models import ManagementMode, MedicalGroup, Ward
from org.scoping import scope_queryset
from preop import permissions as perms
from preop.models import CaseIcon, IconClass
from preop.rules import effective_rules

# Cases that hold (or held, on a past day) a virtual bed: booked and on their way, not ended before arrival.
BED_STATES = (
    CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED, CaseState.ADMITTED, CaseState.IN_THEATRE,
    CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED,
    CaseState.TRANSFERRED_TO_INPATIENT,
)
MAX_BED_DAYS = 14

# Who or what is behind a cancellation reason (DOMAIN.md §1.2: initiator patient / clinical / organisational).
REASON_CATEGORY = {
    CancelReason.PATIENT_REQUEST: "patient", CancelReason.PATIENT_UNWELL: "clinical",
    CancelReason.ABNORMAL_RESULTS: "clinical", CancelReason.NOT_FASTING: "patient",
    CancelReason.SURGEON_UNAVAILABLE: "organisational", CancelReason.THEATRE_UNAVAILABLE: "organisational",
    CancelReason.BED_UNAVAILABLE: "organisational", CancelReason.FINANCIAL: "patient",
    CancelReason.CHANGED_PLAN: "clinical", CancelReason.OTHER: "other",
}


# --- bed cards ----------------------------------------------------------------------------------------------------


def card_queryset(principal):
    qs = SurgicalCase.objects.select_related("patient", "ward__department", "surgeon", "theatre_room").prefetch_related(
        Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.filter(system=IdentifierSystem.REG_NO),
                 to_attr="reg_identifiers"),
        Prefetch("preop_icons", queryset=CaseIcon.objects.filter(active=True).order_by("key"), to_attr="active_icons"),
    )
    return scope_queryset(qs, principal)


class CardContext:
    """What every card of one response shares: the effective icon rules of the hospitals involved and whether
    the reader sees full demographics. Built once per response (one query for the rules)."""

    def __init__(self, principal, cases):
        self.full = has_permission(principal, perms.VIEW_FULL_DEMOGRAPHICS.slug)
        # Which findings raised an alert (HBsAg, anti-HIV...) are clinical results: only for those who read them.
        self.results = has_permission(principal, "clinical.view_results")
        hospital_ids = {c.ward.department.hospital_id for c in cases}
        self.rules = {h: {r.key: r for r in rules} for h, rules in effective_rules(hospital_ids).items()}
        self.today = timezone.localdate()


def _age(birth, on):
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def card_icons(case, ctx) -> dict:
    rules = ctx.rules.get(case.ward.department.hospital_id, {})
    icons = {c: [] for c in IconClass.values}
    active = getattr(case, "active_icons", None)
    for icon in active if active is not None else CaseIcon.objects.filter(case=case, active=True):
        rule = rules.get(icon.key)
        if rule is None:
            continue  # the rule was switched off or deleted: its icon disappears at once
        icons[rule.icon_class].append({
            "key": icon.key, "label": rule.label, "symbol": rule.symbol, "colour": rule.colour,
            "count": icon.count, "since": icon.changed_at, "position": rule.position,
            "detail": icon.detail if ctx.results or rule.icon_class != IconClass.ALERT else {},
        })
    for items in icons.values():
        items.sort(key=lambda i: (i.pop("position"), i["key"]))
    return icons


def bed_card(case, ctx) -> dict:
    patient = case.patient
    reg = getattr(patient, "reg_identifiers", None)
    reg_no = patient.reg_no if reg is None else (reg[0].value if reg else "")
    return {
        "case": case.uuid,
        "version": case.version,
        "state": case.state,
        "state_display": case.get_state_display(),
        "ward": {"uuid": case.ward.uuid, "code": case.ward.code, "name": case.ward.name,
                 "management_mode": case.ward.management_mode},
        "planned_date": case.planned_date,
        "planned_session": case.planned_session,
        "assessment": {
            "preop_assessment_status": case.preop_assessment_status,
            "preop_assessment_display": case.get_preop_assessment_status_display(),
            "anaesthesia_clinic_status": case.anaesthesia_clinic_status,
            "theatre_schedule_status": case.theatre_schedule_status,
        },
        "patient": {
            "name": patient.name if ctx.full else mask_name(patient.name),
            "sex": patient.sex,
            "age": _age(patient.birth_date, case.planned_date or ctx.today),
            "reg_no": reg_no,
            "phone": patient.phone if ctx.full else mask_phone(patient.phone),
            "masked": not ctx.full,
        },
        "surgery": {
            "procedure_name": case.procedure_name,
            "procedure_code": case.procedure_code,
            "diagnosis_name": case.diagnosis_name,
            "anaesthesia_method": case.anaesthesia_method,
            "surgeon": {"uuid": case.surgeon.uuid, "name": case.surgeon.name},
            "theatre_room": case.theatre_room.name if case.theatre_room_id else "",
            "theatre_sequence": case.theatre_sequence,
            "scheduled_start": case.scheduled_start,
        },
        "remarks": case.remarks,
        "icons": card_icons(case, ctx),
    }


def bed_card_list(principal, *, ward=None, date_from=None, date_to=None, states=None):
    qs = card_queryset(principal).filter(state__in=states or BED_STATES)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if date_from:
        qs = qs.filter(planned_date__gte=date_from)
    if date_to:
        qs = qs.filter(planned_date__lte=date_to)
    return qs.order_by("planned_date", "ward__code", "planned_session", F("theatre_sequence").asc(nulls_last=True),
                       "booked_at", "pk")


# --- virtual beds (P1) --------------------------------------------------------------------------------------------


class _Capacity:
    """The booking capacity (capacity.CapacitySlot) behind each ward's virtual beds, for a range of dates.

    A ward is served by its doctors (staff with the doctor role assigned to it) and by the surgeons of the cases
    booked into it; each booking takes one place at every level that has a slot that day (surgeon, one of their
    medical groups, department) and in the department quota (capacity.governance). So the most bookings a
    ward's surgeons can make on a date and session — its beds — are, per department: the department's own
    resources when it has a slot that day; otherwise the slots of its medical groups plus those of surgeons
    outside a group with a slot; never more than the department quota. A closed slot counts zero. A surgeon
    without any resources configured at any level is not limited (gradual adoption): the ward is then not
    limited by resources and its beds are the patients booked.

    Capacity of a surgeon who serves two wards is counted in both: `shared_with` names the other wards.
    """

    def __init__(self, wards, cases, date_from, date_to):
        from accounts.models import User

        ward_ids = [w.pk for w in wards]
        through = User.wards.through
        rows = (
            through.objects.filter(ward_id__in=ward_ids, user__is_active=True, user__roles__slug="doctor")
            .values_list("ward_id", "user_id", "user__department_id").distinct()
        )
        self.bookers = defaultdict(set)  # ward id -> {(surgeon id, department id)}
        for ward_id, user_id, department_id in rows:
            if department_id:
                self.bookers[ward_id].add((user_id, department_id))
        for case in cases:
            self.bookers[case.ward_id].add((case.virtual_surgeon_id or case.surgeon_id, case.department_id))
        surgeon_ids = {s for pairs in self.bookers.values() for s, _d in pairs}
        self.groups = defaultdict(set)  # group id -> surgeon ids (leader and members) among ours
        for group_id, leader_id, member_id in (
            MedicalGroup.objects.filter(Q(leader_id__in=surgeon_ids) | Q(members__in=surgeon_ids))
            .values_list("pk", "leader_id", "members__id").distinct()
        ):
            self.groups[group_id].update({i for i in (leader_id, member_id) if i in surgeon_ids})
        departments = {d for pairs in self.bookers.values() for _s, d in pairs}
        keys = ([owner_key(OwnerType.SURGEON, s) for s in surgeon_ids]
                + [owner_key(OwnerType.GROUP, g) for g in self.groups]
                + [owner_key(OwnerType.DEPARTMENT, d) for d in departments])
        self.slots = {
            (s.owner_key, s.kind, s.date, s.session): s
            for s in CapacitySlot.objects.filter(owner_key__in=keys, date__gte=date_from, date__lte=date_to)
        }
        self.adopted = set(
            WeeklyTemplate.objects.filter(kind=CapacityKind.RESOURCE, owner_key__in=keys)
            .values_list("owner_key", flat=True).distinct()
        ) | set(
            CapacitySlot.objects.filter(kind=CapacityKind.RESOURCE, owner_key__in=keys, closed=False)
            .values_list("owner_key", flat=True).distinct()
        )
        self.shared = defaultdict(set)
        if surgeon_ids:
            others = (
                through.objects.filter(user_id__in=surgeon_ids, ward__is_active=True)
                .values_list("user_id", "ward__code").distinct()
            )
            wards_of = defaultdict(set)
            for user_id, code in others:
                wards_of[user_id].add(code)
            for ward in wards:
                for surgeon_id, _d in self.bookers[ward.pk]:
                    self.shared[ward.pk] |= wards_of[surgeon_id] - {ward.code}

    def _slot(self, owner_type, owner_id, kind, day, session):
        return self.slots.get((owner_key(owner_type, owner_id), kind, day, session))

    @staticmethod
    def _places(slot):
        return 0 if slot.closed else slot.max_bookings

    def _surgeon_adopted(self, surgeon_id, department_id):
        keys = {owner_key(OwnerType.SURGEON, surgeon_id), owner_key(OwnerType.DEPARTMENT, department_id)}
        keys |= {owner_key(OwnerType.GROUP, g) for g, members in self.groups.items() if surgeon_id in members}
        return bool(keys & self.adopted)

    def for_ward(self, ward_id, day, session):
        """Places the ward's surgeons can book on `day`/`session`; None = not limited by resources."""
        by_department = defaultdict(set)
        for surgeon_id, department_id in self.bookers.get(ward_id, ()):
            by_department[department_id].add(surgeon_id)
        total, seen_groups = 0, set()
        for department_id, surgeons in by_department.items():
            own = self._slot(OwnerType.DEPARTMENT, department_id, CapacityKind.RESOURCE, day, session)
            if own is not None:
                places = self._places(own)
            else:
                places, covered, unlimited = 0, set(), False
                for group_id, members in self.groups.items():
                    slot = self._slot(OwnerType.GROUP, group_id, CapacityKind.RESOURCE, day, session)
                    if slot is None or not members & surgeons:
                        continue
                    covered |= members
                    if group_id not in seen_groups:
                        seen_groups.add(group_id)
                        places += self._places(slot)
                for surgeon_id in surgeons - covered:
                    slot = self._slot(OwnerType.SURGEON, surgeon_id, CapacityKind.RESOURCE, day, session)
                    if slot is not None:
                        places += self._places(slot)
                    elif not self._surgeon_adopted(surgeon_id, department_id):
                        unlimited = True
                places = None if unlimited else places
            quota = self._slot(OwnerType.DEPARTMENT, department_id, CapacityKind.QUOTA, day, session)
            if quota is not None:
                places = self._places(quota) if places is None else min(places, self._places(quota))
            if places is None:
                return None
            total += places
        return total


def _bed_sort_key(case):
    return (case.theatre_sequence is None, case.theatre_sequence or 0, case.booked_at or case.created_at, case.pk)


def virtual_beds(principal, *, date_from, date_to, ward=None, management_mode=None) -> dict:
    """P1: per management mode, ward and date, the beds the booking capacity gives and the patients on them."""
    wards = scope_queryset(Ward.objects.filter(is_active=True).select_related("department"), principal,
                           ward_field="pk")
    if ward is not None:
        wards = wards.filter(pk=ward.pk)
    if management_mode:
        wards = wards.filter(management_mode=management_mode)
    wards = list(wards.order_by("management_mode", "code"))
    cases = list(
        card_queryset(principal).filter(ward__in=wards, state__in=BED_STATES, planned_date__gte=date_from,
                                        planned_date__lte=date_to)
    )
    ctx = CardContext(principal, cases)
    capacity = _Capacity(wards, cases, date_from, date_to)
    by_ward_day = defaultdict(list)
    for case in cases:
        by_ward_day[(case.ward_id, case.planned_date)].append(case)
    days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    modes = []
    for mode in ManagementMode.values:
        mode_wards = [w for w in wards if w.management_mode == mode]
        if not mode_wards:
            continue
        entries = []
        for w in mode_wards:
            entries.append({
                "ward": {"uuid": w.uuid, "code": w.code, "name": w.name, "management_mode": w.management_mode},
                "shared_capacity_with": sorted(capacity.shared[w.pk]),
                "days": [_ward_day(w, day, by_ward_day[(w.pk, day)], capacity, ctx) for day in days],
            })
        modes.append({"management_mode": mode, "label": ManagementMode(mode).label, "wards": entries})
    return {"date_from": date_from, "date_to": date_to, "modes": modes}


def _ward_day(ward, day, cases, capacity, ctx):
    sessions, beds = [], []
    limited = True
    for session in [*Session.values, ""]:
        here = sorted((c for c in cases if (c.planned_session or "") == session), key=_bed_sort_key)
        places = capacity.for_ward(ward.pk, day, session) if session else 0
        if session == "" and not here:
            continue
        if places is None:
            limited = False
        count = max(places or 0, len(here))
        for n in range(count):
            case = here[n] if n < len(here) else None
            beds.append({"number": len(beds) + 1, "session": session, "overflow": places is not None and n >= places,
                         "card": bed_card(case, ctx) if case is not None else None})
        sessions.append({"session": session, "capacity": places, "occupied": len(here)})
    capacities = [s["capacity"] for s in sessions if s["session"]]
    total = None if any(c is None for c in capacities) else sum(capacities)
    occupied = len(cases)
    return {
        "date": day, "resources_limited": limited, "capacity": total, "occupied": occupied,
        "free": None if total is None else max(total - occupied, 0), "sessions": sessions, "beds": beds,
    }


# --- search (P6) --------------------------------------------------------------------------------------------------


def case_search(principal, *, date_from=None, date_to=None, ward=None, states=None, surgeon=None, reg_no=""):
    qs = card_queryset(principal)
    if date_from:
        qs = qs.filter(planned_date__gte=date_from)
    if date_to:
        qs = qs.filter(planned_date__lte=date_to)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if states:
        qs = qs.filter(state__in=states)
    else:
        qs = qs.exclude(state=CaseState.DRAFT)  # drafts are the booking doctor's, not the manager's
    if surgeon is not None:
        qs = qs.filter(surgeon=surgeon)
    if reg_no:
        index = PatientIdentifier.index_for(IdentifierSystem.REG_NO, reg_no.strip())
        qs = qs.filter(patient__identifiers__system=IdentifierSystem.REG_NO, patient__identifiers__value_index=index)
    return qs.order_by("planned_date", "ward__code", "planned_session", "pk")


def per_surgeon_counts(qs) -> list[dict]:
    """The number of operations per surgeon over the whole result set (not just the page)."""
    rows = (
        qs.order_by().values("surgeon__uuid", "surgeon__name").annotate(count=Count("pk", distinct=True))
        .order_by("-count", "surgeon__name")
    )
    return [{"surgeon": r["surgeon__uuid"], "name": r["surgeon__name"], "count": r["count"]} for r in rows]


# --- cancellations (P5, D6 analytics) -----------------------------------------------------------------------------


def cancellation_stats(principal, *, date_from, date_to, ward=None, basis="cancelled") -> dict:
    """Cancelled cases of the caller's wards, counted by reason, reason category, stage and initiator. `basis`:
    the day of the cancellation (default) or the planned day of surgery."""
    from accounts.models import User

    qs = scope_queryset(SurgicalCase.objects.filter(state=CaseState.CANCELLED), principal)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if basis == "planned":
        qs = qs.filter(planned_date__gte=date_from, planned_date__lte=date_to)
    else:
        first, last = max(date_from, EARLIEST), min(date_to, LATEST)  # datetimes near year 1 / 9999 overflow
        qs = qs.filter(ended_at__gte=_start(first), ended_at__lt=_start(last + timedelta(days=1)))
    rows = list(qs.values("cancel_reason_code", "cancel_stage", "cancelled_by_type", "cancelled_by_id"))
    staff_ids = {r["cancelled_by_id"] for r in rows if r["cancelled_by_type"] == "staff" and r["cancelled_by_id"]}
    roles = defaultdict(set)
    for uuid, slug in User.objects.filter(uuid__in=staff_ids).values_list("uuid", "roles__slug"):
        roles[str(uuid)].add(slug)

    def initiator(row):
        kind = row["cancelled_by_type"]
        if kind != "staff":
            return kind or "system"
        held = roles.get(row["cancelled_by_id"], set())
        return "doctor" if "doctor" in held else "manager" if held & {"nurse", "hospital_admin"} else "other_staff"

    reasons, categories, stages, initiators = (defaultdict(int) for _i in range(4))
    for row in rows:
        reasons[row["cancel_reason_code"]] += 1
        categories[REASON_CATEGORY.get(row["cancel_reason_code"], "other")] += 1
        stages[row["cancel_stage"]] += 1
        initiators[initiator(row)] += 1
    reason_labels = dict(CancelReason.choices)
    stage_labels = dict(CancelStage.choices)
    return {
        "date_from": date_from, "date_to": date_to, "basis": basis, "total": len(rows),
        "by_reason": [{"code": code, "label": str(reason_labels.get(code, code)), "count": reasons[code]}
                      for code in sorted(reasons, key=lambda c: (-reasons[c], c))],
        "by_category": [{"code": c, "count": categories[c]} for c in sorted(categories, key=lambda c: (-categories[c], c))],
        "by_stage": [{"code": code, "label": str(stage_labels.get(code, code)), "count": stages[code]}
                     for code in sorted(stages, key=lambda c: (-stages[c], c))],
        "by_initiator": [{"code": c, "count": initiators[c]} for c in sorted(initiators, key=lambda c: (-initiators[c], c))],
    }


EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def _start(day):
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(day, time.min))


# --- one case -----------------------------------------------------------------------------------------------------


def case_messages(case):
    """The messages already sent to the patient (the look-up icon's content), newest first."""
    return CaseEvent.objects.filter(case=case, type="messaging.message.sent").order_by("-sequence")
