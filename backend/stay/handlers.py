"""Outbox consumers of the stay context."""

from core.outbox import outbox_handler


@outbox_handler("cases.case.discharged", name="stay.his_discharge")
def send_discharge_to_his(message):
    """HIS ADT A03 after the discharge committed (whichever path discharged the case). A transient HIS failure
    raises, so the outbox retries with backoff; a refusal is recorded on the discharge row (`his_status`)."""
    from cases.models import SurgicalCase
    from stay.services import discharge_send_to_his

    case = SurgicalCase.objects.filter(uuid=message.payload.get("case")).first()
    if case is not None:
        discharge_send_to_his(case=case)
