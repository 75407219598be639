"""S4: procedures and departments excluded from theatre scheduling (they skip it without blocking the flow).

`is_excluded(case)` is called by the send_application effect (cases.state_machine): an excluded case becomes
"not to be scheduled", the theatre port is not called, and the case may be admitted from application_sent.
"""

from django.db.models import Q


def exclusion_for(case):
    """The active exclusion that applies to the case (procedure first, then department), or None."""
    from scheduling.models import ExclusionKind, ScheduleExclusion

    hospital_id = case.ward.department.hospital_id
    procedure = Q(kind=ExclusionKind.PROCEDURE) & (
        Q(procedure_id=case.procedure_id) if case.procedure_id else Q(pk__in=[])
    )
    if case.procedure_code:
        procedure |= Q(kind=ExclusionKind.PROCEDURE, procedure__code=case.procedure_code)
    department = Q(kind=ExclusionKind.DEPARTMENT, department_id=case.department_id)
    matches = list(
        ScheduleExclusion.objects.filter(Q(hospital_id=hospital_id, is_active=True) & (procedure | department))
        .select_related("procedure", "department")
    )
    matches.sort(key=lambda e: (e.kind != ExclusionKind.PROCEDURE, e.pk))
    return matches[0] if matches else None


def is_excluded(case) -> bool:
    """Whether the case's procedure or department is excluded from theatre scheduling (hospital configuration)."""
    return exclusion_for(case) is not None
