"""Refusals of the surgical-case context. Codes are stable (clients branch on them); messages are translated."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, InvalidInput, NotAllowed


class InvalidTransition(Conflict):
    default_code = "invalid_transition"
    default_message = _("This action is not possible in the case's current state.")


class NotApplicableToMode(Conflict):
    default_code = "not_applicable_to_management_mode"
    default_message = _("This step does not exist for the ward's management mode.")


class ApplicationAlreadyScheduled(Conflict):
    default_code = "application_already_scheduled"
    default_message = _(
        "The theatre has already scheduled this application; it can only be rolled back after the theatre "
        "cancels the schedule."
    )


class NotScheduledYet(Conflict):
    default_code = "not_scheduled_yet"
    default_message = _("The theatre has not scheduled this operation yet.")


class RescheduleRequiresRollBack(Conflict):
    default_code = "reschedule_requires_roll_back"
    default_message = _("A case scheduled by the theatre must be rolled back before it can be rescheduled.")


class PreopAssessmentMissing(Conflict):
    default_code = "preop_assessment_missing"
    default_message = _("The surgery application cannot be sent before the doctor's pre-operative assessment.")


class PreopAssessmentNotSuitable(Conflict):
    default_code = "preop_assessment_not_suitable"
    default_message = _("The pre-operative assessment found the patient not suitable for day surgery.")


class AnaesthesiaClinicNotPassed(Conflict):
    default_code = "anaesthesia_clinic_not_passed"
    default_message = _("The anaesthesia clinic assessment has not been passed yet.")


class NoShowBeforePlannedDay(Conflict):
    default_code = "no_show_before_planned_day"
    default_message = _("A patient can only be recorded as not arriving on or after the planned day.")


class VersionConflict(Conflict):
    default_code = "version_conflict"
    default_message = _("The case was changed by someone else; reload it and try again.")


class MilestoneNotEditable(Conflict):
    default_code = "milestone_not_editable"
    default_message = _("This assessment can no longer be changed in the case's current state.")


class DuplicateBooking(Conflict):
    default_code = "duplicate_booking"
    default_message = _("The patient already has an active booking on this date.")


class UnknownTransition(InvalidInput):
    default_code = "unknown_transition"
    default_message = _("Unknown action.")


class TransitionNotPermitted(NotAllowed):
    default_code = "permission_denied"
    default_message = _("You do not have permission to perform this action.")


class DetailsLocked(Conflict):
    default_code = "details_locked"
    default_message = _("The surgery application has been sent; roll it back before editing the case details.")
