"""Refusals of pre-operative patient management, with stable codes."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotAllowed


class NotOwnPatient(NotAllowed):
    default_code = "not_own_patient"
    default_message = _(
        "Doctors may reschedule or cancel only their own patients (or their medical group's); ask the day-surgery "
        "manager."
    )


class IconRuleKeyTaken(Conflict):
    default_code = "icon_rule_key_taken"
    default_message = _("Your hospital already has an icon rule with this key.")


class DefaultRuleReadOnly(DomainError):
    status_code = 409
    default_code = "icon_rule_default_read_only"
    default_message = _(
        "Platform default rules cannot be changed here; create your hospital's own rule with the same key to "
        "override it."
    )


class RangeTooLong(DomainError):
    default_code = "range_too_long"
    default_message = _("The date range is too long.")
