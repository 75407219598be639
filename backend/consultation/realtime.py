"""Realtime group of the consultation context (best effort, after commit; clients re-sync by REST).

New wound consultations, answers and messages are case events: `cases.realtime_push` already tells the case's
ward and the patient's app (identifiers only). Message texts and read receipts go to the conversation's own group.
"""


def conversation_group(case_uuid) -> str:
    """The sockets of one case's conversation (consultation.consumers.ConversationConsumer)."""
    return f"consultation.{case_uuid}"
