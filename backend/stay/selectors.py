"""Reads of the stay context. Every patient-bearing read goes through org.scoping."""

from datetime import timedelta

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from cases.los import los_level_at
from cases.models import LOS_LEVEL_RANK, LosAlertLevel, PatientIdentifier, SurgicalCase
from cases.selectors import case_get
from cases.state_machine import ADMITTED_STATES
from org.scoping import scope_queryset
from stay.models import (
    AdverseEvent,
    Complication,
    Discharge,
    DischargeAssessment,
    InpatientTransfer,
    TheatreTime,
    UnplannedReturn,
)


def stay_case_get(principal, uuid):
    return case_get(principal, uuid)


def stay_record_get(case) -> dict:
    """Everything of the case's day: admission, theatre times, incidents, assessments, discharge, transfer."""
    from stay.models import Admission

    def rows(model, order):
        return list(model.objects.filter(case=case).select_related("recorded_by").order_by(*order))

    return {
        "case": case,
        "admission": Admission.objects.filter(case=case).select_related("recorded_by").first(),
        "theatre_times": rows(TheatreTime, ["at", "id"]),
        "complications": rows(Complication, ["occurred_at", "id"]),
        "adverse_events": rows(AdverseEvent, ["occurred_at", "id"]),
        "unplanned_returns": rows(UnplannedReturn, ["occurred_at", "id"]),
        "discharge_assessments": rows(DischargeAssessment, ["-assessed_at", "-id"]),
        "discharge": Discharge.objects.filter(case=case).select_related("recorded_by", "assessment").first(),
        "transfer": InpatientTransfer.objects.filter(case=case).select_related("recorded_by").first(),
        "los": los_summary(case),
    }


def los_summary(case, *, now=None) -> dict | None:
    """The 24 h / 48 h clock of one case, computed now (the stored flag moves only every few minutes)."""
    if case.admitted_at is None:
        return None
    now = now or timezone.now()
    end = case.discharged_at or case.transferred_at
    running = case.state in ADMITTED_STATES and end is None
    at = now if running else (end or now)
    hours = round((at - case.admitted_at) / timedelta(hours=1), 2)
    return {
        "running": running,
        "hours": hours,
        "level": los_level_at(case, at),
        "deadline_24h": case.admitted_at + timedelta(hours=settings.CASE_LOS_LIMIT_24_HOURS),
        "deadline_48h": case.admitted_at + timedelta(hours=settings.CASE_LOS_LIMIT_48_HOURS),
        "delayed_discharge": hours > settings.CASE_LOS_LIMIT_24_HOURS,
    }


def _latest_assessment(field):
    return Subquery(
        DischargeAssessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-id").values(field)[:1]
    )


def los_alert_list(principal, *, ward=None, include_all=False, now=None) -> list[dict]:
    """G3: admitted patients whose clock is approaching or past 24 h / 48 h, longest stay first.

    Each row: the case (with patient, ward, surgeon, admission), hours, level (now), what to do, the latest
    discharge assessment. One query whatever the number of rows."""
    now = now or timezone.now()
    qs = scope_queryset(
        SurgicalCase.objects.select_related("patient", "ward", "surgeon", "stay_admission").prefetch_related(
            Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.order_by("system"))
        ),
        principal,
    ).filter(state__in=ADMITTED_STATES, admitted_at__isnull=False)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if not include_all:
        qs = qs.filter(admitted_at__lte=now - timedelta(hours=settings.CASE_LOS_APPROACHING_24_HOURS))
    qs = qs.annotate(
        pads_score=_latest_assessment("score"), pads_passed=_latest_assessment("passed"),
        pads_at=_latest_assessment("assessed_at"),
    ).order_by("admitted_at", "id")
    rows = []
    for case in qs:
        level = los_level_at(case, now)
        if not include_all and level == LosAlertLevel.NONE:
            continue
        rank = LOS_LEVEL_RANK[level]
        if rank >= LOS_LEVEL_RANK[LosAlertLevel.APPROACHING_48]:
            action = "discharge_or_transfer"
        elif rank >= LOS_LEVEL_RANK[LosAlertLevel.APPROACHING_24]:
            action = "assess_discharge"
        else:
            action = ""
        admission = getattr(case, "stay_admission", None)
        rows.append({
            "case": case,
            "admission_no": admission.admission_no if admission else "",
            "bed_no": admission.bed_no if admission else "",
            "hours": round((now - case.admitted_at) / timedelta(hours=1), 2),
            "level": level,
            "flagged_level": case.los_alert_level,
            "deadline_24h": case.admitted_at + timedelta(hours=settings.CASE_LOS_LIMIT_24_HOURS),
            "deadline_48h": case.admitted_at + timedelta(hours=settings.CASE_LOS_LIMIT_48_HOURS),
            "action": action,
            "latest_assessment": (
                {"score": case.pads_score, "passed": case.pads_passed, "assessed_at": case.pads_at}
                if case.pads_score is not None else None
            ),
        })
    return rows


INCIDENT_KINDS = ("complication", "adverse_event", "unplanned_return")


def incident_list(principal, *, date_from, date_to, ward=None, kinds=INCIDENT_KINDS) -> list[dict]:
    """Complications, adverse events and unplanned returns of the caller's wards in a period (by when they
    happened), newest first: the quality review list. Three queries whatever the number of rows."""
    from django.utils import timezone as tz

    start = tz.make_aware(tz.datetime.combine(date_from, tz.datetime.min.time()))
    end = tz.make_aware(tz.datetime.combine(date_to, tz.datetime.max.time()))
    models = {"complication": Complication, "adverse_event": AdverseEvent, "unplanned_return": UnplannedReturn}
    rows = []
    for kind in kinds:
        qs = scope_queryset(models[kind].objects.select_related("case", "ward", "patient", "recorded_by"), principal)
        qs = qs.filter(occurred_at__gte=start, occurred_at__lte=end)
        if ward is not None:
            qs = qs.filter(ward=ward)
        rows += [{"kind": kind, "row": row} for row in qs]
    rows.sort(key=lambda r: (r["row"].occurred_at, r["row"].pk), reverse=True)
    return rows
