"""Reads of theatre scheduling: the schedule (S2, S3) with its four states and their markers, applications,
exclusions and the export layout. Every patient-bearing queryset goes through org.scoping."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from cases.models import CaseState, IdentifierSystem, PatientIdentifier, SurgicalCase, TheatreScheduleStatus
from org.scoping import scope_queryset
from scheduling.models import OPEN_STATUSES, PROBLEM_STATUSES, ScheduleExclusion, TheatreApplication

T = TheatreScheduleStatus

# S3: the four schedule states, each with its own marker (a symbol, a colour key the clients map to their palette,
# and a label). Order = the order of the tabs/legend.
MARKERS = {
    T.SCHEDULED: {"symbol": "●", "colour": "green", "label": _("Scheduled")},
    T.SENT_NOT_SCHEDULED: {"symbol": "◐", "colour": "amber", "label": _("Sent, not scheduled")},
    T.NOT_SENT: {"symbol": "○", "colour": "grey", "label": _("Not sent")},
    T.NOT_TO_BE_SCHEDULED: {"symbol": "⊘", "colour": "blue", "label": _("Not to be scheduled")},
}
# An application staff must act on (unreachable theatre, refused, cancelled by the theatre) is flagged beside the
# state marker.
PROBLEM_MARKER = {"symbol": "!", "colour": "red", "label": _("Needs attention")}

# Cases on the schedule: booked onwards, including the past days' operations; never drafts, the pending pool, or
# bookings that ended before the day (cancelled, no-show, terminated).
SCHEDULE_STATES = (
    CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED, CaseState.ADMITTED, CaseState.IN_THEATRE,
    CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED,
    CaseState.TRANSFERRED_TO_INPATIENT,
)


def marker_for(status: str) -> dict:
    marker = MARKERS[status]
    return {"key": str(status), "symbol": marker["symbol"], "colour": marker["colour"], "label": str(marker["label"])}


@dataclass(frozen=True)
class ScheduleFilters:
    date_from: date
    date_to: date
    ward: object = None  # org.Ward
    surgeon: object = None  # accounts.User
    surgery_type: str = ""  # procedure code (exact) or part of the procedure name
    reg_no: str = ""
    statuses: tuple = ()  # TheatreScheduleStatus values


def _base(actor, f: ScheduleFilters):
    qs = scope_queryset(SurgicalCase.objects.all(), actor).filter(
        state__in=SCHEDULE_STATES, planned_date__gte=f.date_from, planned_date__lte=f.date_to
    )
    if f.ward is not None:
        qs = qs.filter(ward=f.ward)
    if f.surgeon is not None:
        qs = qs.filter(surgeon=f.surgeon)
    if f.surgery_type:
        qs = qs.filter(Q(procedure_code__iexact=f.surgery_type) | Q(procedure__code__iexact=f.surgery_type)
                       | Q(procedure_name__icontains=f.surgery_type))
    if f.reg_no:
        index = PatientIdentifier.index_for(IdentifierSystem.REG_NO, f.reg_no.strip())
        qs = qs.filter(patient__identifiers__system=IdentifierSystem.REG_NO,
                       patient__identifiers__value_index=index)
    return qs


def schedule_counts(actor, f: ScheduleFilters) -> dict:
    """Cases per schedule state under every filter but the state one (the legend/tabs show all four)."""
    rows = _base(actor, f).values("theatre_schedule_status").annotate(n=Count("id"))
    counts = {str(s): 0 for s in MARKERS}
    for row in rows:
        counts[row["theatre_schedule_status"]] = row["n"]
    return counts


def schedule_list(actor, f: ScheduleFilters):
    """Cases of the schedule in theatre order: date, room, sequence (unscheduled after), session."""
    qs = _base(actor, f)
    if f.statuses:
        qs = qs.filter(theatre_schedule_status__in=f.statuses)
    return (
        qs.select_related("patient", "ward", "department", "surgeon", "procedure", "theatre_room",
                          "theatre_room__suite")
        .prefetch_related(
            "patient__identifiers",
            "assistants",
            Prefetch(
                "theatre_applications",
                queryset=TheatreApplication.objects.filter(status__in=OPEN_STATUSES),
                to_attr="open_applications",
            ),
        )
        .order_by("planned_date", "theatre_room__code", "theatre_sequence", "scheduled_start", "planned_session",
                  "id")
    )


def current_application(case):
    """The case's open application (from the schedule_list prefetch when present)."""
    apps = getattr(case, "open_applications", None)
    if apps is None:
        apps = list(TheatreApplication.objects.filter(case=case, status__in=OPEN_STATUSES))
    return apps[0] if apps else None


def has_problem(application) -> bool:
    return application is not None and application.status in PROBLEM_STATUSES


def application_list_for_case(case):
    return TheatreApplication.objects.filter(case=case).order_by("-created_at", "-id")


def exclusion_list(*, hospital=None, kind=None, active=None):
    qs = ScheduleExclusion.objects.select_related("hospital", "procedure", "department", "created_by")
    if hospital is not None:
        qs = qs.filter(hospital=hospital)
    if kind:
        qs = qs.filter(kind=kind)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("kind", "id")
