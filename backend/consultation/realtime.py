"""Realtime groups and pushes of the consultation context (best effort, after commit; clients re-sync by REST)."""

from realtime.groups import patient_group, ward_group
from realtime.publisher import publish_on_commit


def conversation_group(case_uuid) -> str:
    """The sockets of one case's conversation (consultation.consumers.ConversationConsumer)."""
    return f"consultation.{case_uuid}"


def publish_to_ward(case, event_type, payload):
    """Staff following the case's ward (the events socket): a new wound consultation or patient message."""
    publish_on_commit(ward_group(case.ward_id), event_type, payload)


def publish_to_patient(case, event_type, payload):
    """Every enabled mini-program account bound to the case's patient."""
    from accounts.models import PatientAccount

    for account_uuid in PatientAccount.objects.filter(patient_id=case.patient_id, is_active=True).values_list(
            "uuid", flat=True):
        publish_on_commit(patient_group(account_uuid), event_type, payload)
