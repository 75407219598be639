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


@outbox_handler("cases.case.cancelled", name="stay.his_cancelled_after_admission")
def send_cancelled_stay_to_his(message):
    """A patient admitted and then sent home without the operation (cancelled after arrival) leaves the HIS stay
    too: ADT A03 — 非医嘱离院 when the patient asked for it, else 医嘱离院."""
    from cases.models import CancelReason, CaseState, SurgicalCase
    from stay.models import DischargeDisposition
    from stay.services import discharge_send_to_his

    payload = message.payload
    if payload.get("from_state") != CaseState.ADMITTED:
        return
    case = SurgicalCase.objects.filter(uuid=payload.get("case")).first()
    if case is not None:
        own_request = (payload.get("data") or {}).get("reason_code") == CancelReason.PATIENT_REQUEST
        discharge_send_to_his(case=case, disposition=DischargeDisposition.AGAINST_ADVICE if own_request
                              else DischargeDisposition.ORDERED)
