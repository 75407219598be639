"""Refusals of the doctor assessment. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotAllowed


class RuleKeyTaken(Conflict):
    default_code = "high_risk_rule_key_taken"
    default_message = _("A rule with this key already exists in this hospital.")


class RuleVersionConflict(Conflict):
    default_code = "high_risk_rule_version_conflict"
    default_message = _("The rule was changed by someone else; reload and try again.")


class HospitalNotAllowed(NotAllowed):
    default_code = "hospital_not_allowed"
    default_message = _("Rules and settings are managed by their own hospital's administrators.")


class NoteRequired(DomainError):
    default_code = "assessment_note_required"
    default_message = _("Give a note for this decision.")


class NotOwnPatient(NotAllowed):
    default_code = "not_own_patient"
    default_message = _("Only the surgeon of the case or a member of the surgeon's medical group may assess it.")
