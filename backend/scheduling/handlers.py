"""Outbox consumers of case events for theatre scheduling (S1). Each runs after the case change commits.

- `scheduling.submit_application`: an application sent (not excluded) goes to the theatre system; a new planned
  date (while sent, not scheduled) or a new surgeon replaces it with a new application;
- `scheduling.withdraw_application`: rolled back, cancelled, no-show, terminated → withdrawn at the theatre.

Failures of the theatre system are recorded on the application and retried by `scheduling.retry_theatre_calls`
(the handler itself succeeds, so the outbox does not repeat the case's other consumers' work).
"""

from cases.models import SurgicalCase
from core.outbox import outbox_handler
from scheduling import services

SUBMIT = "scheduling.submit_application"
WITHDRAW = "scheduling.withdraw_application"
REPLACE = "scheduling.replace_application"

WITHDRAW_ON = {
    "cases.case.application_rolled_back": "application rolled back",
    "cases.case.cancelled": "operation cancelled",
    "cases.case.no_show_recorded": "patient did not arrive",
    "cases.case.terminated": "case terminated",
}


def _case(message):
    payload = message.payload
    if not isinstance(payload, dict) or "case" not in payload:
        return None
    return SurgicalCase.objects.filter(uuid=payload["case"]).first()


@outbox_handler("cases.case.application_sent", name=SUBMIT)
def submit_application(message):
    if (message.payload.get("data") or {}).get("excluded_from_scheduling"):
        return  # S4: not to be scheduled; the theatre port is not called
    case = _case(message)
    if case is not None:
        services.application_send(case=case, trigger_event=message.payload["event"])


@outbox_handler("cases.case.*", name=WITHDRAW)
def withdraw_application(message):
    reason = WITHDRAW_ON.get(message.topic)
    if reason is None:
        return
    case = _case(message)
    if case is not None:
        services.applications_withdraw(case=case, reason=reason)


@outbox_handler("cases.case.*", name=REPLACE)
def replace_application(message):
    """A new date (reschedule) or a new surgeon while the application waits at the theatre: the theatre gets
    a new application for the new content, the old one is withdrawn."""
    if message.topic not in ("cases.case.rescheduled", "cases.case.surgeon_assigned"):
        return
    case = _case(message)
    if case is not None:
        services.application_send(case=case, trigger_event=message.payload["event"],
                                  replace=message.topic == "cases.case.surgeon_assigned")
