"""Refusals of the follow-up context (stable codes the apps branch on)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class CallbackSignatureRefused(DomainError):
    status_code = 401
    default_code = "signature_invalid"
    default_message = _("The request signature is missing or invalid.")


class UnknownCall(DomainError):
    status_code = 404
    default_code = "unknown_call"
    default_message = _("No follow-up call with this id was placed.")


class TaskClosed(Conflict):
    default_code = "followup_task_closed"
    default_message = _("This follow-up is already finished.")


class TagNotManual(Conflict):
    default_code = "followup_tag_automatic"
    default_message = _("This tag is set automatically and cannot be added by hand.")


class PlanScopeTaken(Conflict):
    default_code = "followup_plan_exists"
    default_message = _("A follow-up plan for this hospital and procedure exists already; edit it instead.")
