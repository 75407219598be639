"""Refusals of the timeline context (stable codes: clients branch on them)."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, NotAllowed, NotFound


class DefinitionVersionConflict(Conflict):
    default_code = "timeline_definition_version_conflict"
    default_message = _("The node definition was changed by someone else; reload and try again.")


class DefinitionRetired(DomainError):
    status_code = 409
    default_code = "timeline_definition_retired"
    default_message = _("This node definition is retired; restore it first.")


class DefinitionKeyTaken(DomainError):
    status_code = 409
    default_code = "timeline_definition_key_taken"
    default_message = _("This hospital and management mode already have a node with this key.")


class HospitalNotAllowed(NotAllowed):
    default_code = "hospital_not_allowed"
    default_message = _("You may only configure your own hospital's timeline.")


class NodeNotFound(NotFound):
    default_code = "timeline_node_not_found"
    default_message = _("The timeline has no such node.")
