"""Writing the audit log. Called by services inside their transaction, so the entry commits with the change."""

from audit.models import ActorType, AuditEntry
from core.middleware import current_request_context
from core.serialization import to_jsonable


def _actor_fields(actor):
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ActorType.ANONYMOUS, "", ""
    if getattr(actor, "is_patient", False):
        return ActorType.PATIENT, str(actor.uuid), getattr(actor, "display_name", "")[:100]
    return ActorType.STAFF, str(actor.uuid), actor.name[:100]


def audit_record(
    *,
    actor,
    action,
    target=None,
    target_type="",
    target_id="",
    target_repr="",
    before=None,
    after=None,
    success=True,
    detail="",
    system=False,
):
    """Append one audit entry. `target` may be a model instance with a `uuid`; explicit fields win."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(getattr(target, "uuid", target.pk))
        target_repr = target_repr or str(target)[:200]
    if system:
        actor_type, actor_id, actor_name = ActorType.SYSTEM, "", "system"
    else:
        actor_type, actor_id, actor_name = _actor_fields(actor)
    ctx = current_request_context() or {}
    return AuditEntry.objects.create(
        actor_type=actor_type,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        target_repr=target_repr[:200],
        before=to_jsonable(before),
        after=to_jsonable(after),
        success=success,
        detail=str(detail)[:300],
        ip=ctx.get("ip"),
        request_id=ctx.get("request_id", ""),
    )


def audit_patient_read(actor, obj, *, detail="", target_type="", target_id=""):
    """Record that `actor` read the detail of a patient-bearing record `obj` (a patient, a case, a report...).

    Call it from every detail endpoint (or use audit.api.mixins.AuditedRetrieveMixin) after the object was
    fetched through the scoping helper, so refused look-ups are not logged as reads.
    """
    from audit.models import AuditAction

    return audit_record(
        actor=actor, action=AuditAction.READ, target=obj, target_type=target_type, target_id=target_id, detail=detail
    )
