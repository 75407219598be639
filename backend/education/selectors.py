"""Reads of the education context.

`materials_for_case` decides what a case's patient is given: the active items of the case's hospital and the
platform's, for the case's procedure or every procedure; of each key the most specific wins (hospital before
platform, procedure before every procedure); ordered by phase (pre-op → admission → discharge) then `order`.
`case_reading_status` is what patient management shows (M3): each item with whether, when and which version the
patient read. Other contexts (message filters "education not read") call `case_unread_materials`.
"""

from django.db.models import Q

from education.models import PHASE_ORDER, Material, ReadingSession
from org.hospital_config import config_queryset


def _case_hospital_id(case):
    return case.ward.department.hospital_id


def materials_for_case(case, *, phase=None) -> list[Material]:
    procedure = Q(procedure__isnull=True)
    if case.procedure_id:
        procedure |= Q(procedure_id=case.procedure_id)
    if case.procedure_code:
        procedure |= Q(procedure__code=case.procedure_code)
    qs = (Material.objects.filter(retired_at__isnull=True, current__isnull=False)
          .filter(Q(hospital__isnull=True) | Q(hospital_id=_case_hospital_id(case))).filter(procedure)
          .select_related("current", "current__video", "procedure"))
    if phase:
        qs = qs.filter(phase=phase)
    best: dict[str, Material] = {}
    for material in qs:
        rank = (material.hospital_id is not None, material.procedure_id is not None)
        kept = best.get(material.key)
        if kept is None or rank > (kept.hospital_id is not None, kept.procedure_id is not None):
            best[material.key] = material
    return sorted(best.values(), key=lambda m: (PHASE_ORDER.get(m.phase, 9), m.order, m.id))


def case_reading_status(case, *, phase=None) -> list[dict]:
    """Each of the case's items with its reading: first finished session, of which version, and whether the
    current version was read."""
    materials = materials_for_case(case, phase=phase)
    sessions = (ReadingSession.objects.filter(case=case, material__in=materials)
                .select_related("version").order_by("started_at", "id"))
    by_material: dict[int, list[ReadingSession]] = {}
    for s in sessions:
        by_material.setdefault(s.material_id, []).append(s)
    rows = []
    for material in materials:
        mine = by_material.get(material.pk, [])
        finished = [s for s in mine if s.finished_at is not None]
        first = finished[0] if finished else None
        current = [s for s in finished if s.version_id == material.current_id]
        open_ = [s for s in mine if s.finished_at is None]
        rows.append({
            "material": material,
            "read": first is not None,
            "read_at": first.finished_at if first else None,
            "read_version": first.version.version if first else None,
            "read_seconds": first.read_seconds if first else None,
            "current_version_read": bool(current),
            "last_read_at": finished[-1].finished_at if finished else None,
            "in_progress": open_[-1] if open_ else None,
        })
    return rows


def reading_summary(rows) -> dict:
    required = [r for r in rows if r["material"].required]
    return {
        "total": len(rows), "read": sum(1 for r in rows if r["read"]),
        "required": len(required), "required_read": sum(1 for r in required if r["read"]),
        "all_required_read": all(r["read"] for r in required),
    }


def case_unread_materials(case, *, phase=None, required_only=True) -> list[Material]:
    """The items the case's patient has not finished reading (for message filters such as "education not read")."""
    rows = case_reading_status(case, phase=phase)
    return [r["material"] for r in rows if not r["read"] and (r["material"].required or not required_only)]


def material_list(actor, *, phase=None, procedure=None, format=None, include_retired=False):
    """Materials a staff member manages or reads: the platform defaults and their hospital's."""
    qs = config_queryset(Material.objects.all(), actor).select_related(
        "current", "current__video", "procedure", "hospital")
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    if phase:
        qs = qs.filter(phase=phase)
    if procedure is not None:
        qs = qs.filter(Q(procedure__isnull=True) | Q(procedure=procedure))
    if format:
        qs = qs.filter(format=format)
    return qs.order_by("phase", "order", "id")


def material_get(actor, uuid) -> Material:
    from core.errors import NotFound

    material = material_list(actor, include_retired=True).filter(uuid=uuid).first()
    if material is None:
        raise NotFound()
    return material


def session_for_patient(principal, uuid) -> ReadingSession:
    from accounts.patient_scope import patient_queryset
    from core.errors import NotFound

    session = (patient_queryset(ReadingSession.objects.select_related("case", "case__ward", "material", "version"),
                                principal).filter(uuid=uuid).first())
    if session is None:
        raise NotFound()
    return session
