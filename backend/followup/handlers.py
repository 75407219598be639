"""Outbox consumers of the follow-up context."""

from core.outbox import outbox_handler


@outbox_handler("followup.task.created", name="followup.start_first_step")
def start_first_step(message):
    """A task is due: place the voice call (or send the self-report link / open the manual call). A voice platform
    that is down raises: the outbox retries; the advance job moves on when the step's window has passed."""
    from followup.services import task_start

    task = (message.payload.get("data") or {}).get("task")
    if task:
        task_start(task_uuid=task)


@outbox_handler("forms.response.submitted", name="followup.response_received")
def response_received(message):
    """A complete answer to a follow-up form completes its task (any channel); answers set automatic tags."""
    from followup.services import response_received as received
    from followup.services import tags_from_response

    data = message.payload.get("data") or {}
    if data.get("source") == "followup" and data.get("assignment"):
        received(assignment_uuid=data["assignment"], complete=bool(data.get("complete")))
    if data.get("response") and (data.get("tags") or data.get("abnormal")):
        tags_from_response(response_uuid=data["response"])


@outbox_handler("cases.case.closed", name="followup.case_closed")
def case_closed(message):
    from cases.models import SurgicalCase
    from followup.services import tasks_cancel_for_case

    case = SurgicalCase.objects.filter(uuid=message.payload.get("case")).first()
    if case is not None:
        tasks_cancel_for_case(case=case, reason="case closed")
