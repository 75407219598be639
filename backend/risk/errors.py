"""Refusals of the risk app. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotAllowed


class KnowledgeBaseNotDraft(Conflict):
    """Only a draft version is edited, published or discarded; a published or retired one is a record."""

    default_code = "knowledge_base_not_draft"
    default_message = _("Only a draft knowledge-base version can be changed; copy it to a new draft.")


class KnowledgeBaseIncomplete(DomainError):
    default_code = "knowledge_base_incomplete"
    default_message = _("The knowledge-base version lacks plans for some events and levels.")


class HospitalNotAllowed(NotAllowed):
    default_code = "hospital_not_allowed"
    default_message = _("You may only manage the knowledge base of your own hospital.")


class RiskEngineUnavailable(DomainError):
    status_code = 503
    default_code = "risk_engine_unavailable"
    default_message = _("The risk engine is not available; please try again later.")
