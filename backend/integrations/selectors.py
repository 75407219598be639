"""Reads of the integration call log. The log holds no patient data, so it is not ward-scoped: access is by the
`integrations.view_calls` function permission alone."""

from .models import ExternalCall


def external_calls():
    return ExternalCall.objects.all().order_by("-created_at", "-id")
