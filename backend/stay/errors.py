"""Refusals of the stay context (admission → discharge). Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class AlreadyAdmitted(Conflict):
    default_code = "already_admitted"
    default_message = _("This patient's admission is already registered.")


class NotAdmittable(DomainError):
    status_code = 409
    default_code = "not_admittable"
    default_message = _("This case cannot be admitted in its current state.")


class BedOccupied(Conflict):
    default_code = "bed_occupied"
    default_message = _("This bed is taken by another patient who is still in the ward.")


class NotInStay(DomainError):
    status_code = 409
    default_code = "not_in_stay"
    default_message = _("This can be recorded only for an admitted patient (or, for outpatient surgery, on the day).")


class TheatreTimeOrder(DomainError):
    default_code = "theatre_time_order"
    default_message = _("The times are not in the order they happen in theatre.")


class DischargeAssessmentRequired(DomainError):
    status_code = 409
    default_code = "discharge_assessment_required"
    default_message = _(
        "The patient has no passing discharge assessment after the operation; assess again, or give the reason "
        "for discharging anyway."
    )


class OverrideNotPermitted(DomainError):
    status_code = 403
    default_code = "discharge_override_not_permitted"
    default_message = _("Only a doctor may discharge a patient without a passing discharge assessment.")


class AlreadyDischarged(Conflict):
    default_code = "already_discharged"
    default_message = _("This patient has already left the day-surgery ward.")


class NotTransferable(DomainError):
    status_code = 409
    default_code = "not_transferable"
    default_message = _("Only an admitted patient who has not left the ward can be transferred.")


class NoHisStay(DomainError):
    status_code = 409
    default_code = "no_his_stay"
    default_message = _("The admission was not registered with the hospital system, so it cannot be transferred there.")
