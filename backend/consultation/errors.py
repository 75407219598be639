"""Refusals of the consultation context. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput


class InvalidPhoto(InvalidInput):
    default_code = "invalid_wound_photo"
    default_message = _("A photo was refused.")


class NotAfterSurgery(Conflict):
    default_code = "consultation_not_after_surgery"
    default_message = _("Wound consultations open once the operation has taken place.")


class TooManyOpenConsultations(Conflict):
    default_code = "too_many_open_wound_consultations"
    default_message = _("Several of your wound consultations are still waiting for an answer; please wait for the "
                        "care team or call the ward.")


class AlreadyAnswered(Conflict):
    default_code = "wound_consultation_already_answered"
    default_message = _("This wound consultation has already been answered.")


class ConversationClosed(Conflict):
    default_code = "consultation_conversation_closed"
    default_message = _("Online consultation is not available for this case.")
