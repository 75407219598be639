"""Refusals of the anaesthesia clinic. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class AssessmentConcluded(Conflict):
    default_code = "assessment_concluded"
    default_message = _("The assessment has been concluded and can no longer be changed.")


class AssessmentVersionConflict(Conflict):
    default_code = "assessment_version_conflict"
    default_message = _("The assessment was changed by someone else; reload and try again.")


class EvaluationRequired(DomainError):
    status_code = 409
    default_code = "evaluation_required"
    default_message = _("Evaluate the risks before concluding.")


class EvaluationStale(DomainError):
    status_code = 409
    default_code = "evaluation_stale"
    default_message = _("The assessment changed after the last risk evaluation; evaluate again before concluding.")


class SubjectNotAssessable(DomainError):
    status_code = 409
    default_code = "subject_not_assessable"
    default_message = _("This case or appointment does not need (or no longer allows) an anaesthesia assessment.")
