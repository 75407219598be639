"""Reusable serializer fields."""

import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.UUID)
class UUIDRelatedField(serializers.SlugRelatedField):
    """Refers to a related row by its public UUID; a malformed UUID is a field error, never a 500."""

    default_error_messages = {
        "does_not_exist": _("No object with this identifier."),
        "invalid": _("Not a valid identifier."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uuid")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, uuid.UUID):
            value = data
        elif isinstance(data, str):
            try:
                value = uuid.UUID(data)
            except ValueError:
                self.fail("invalid")
        else:
            self.fail("invalid")
        return super().to_internal_value(value)

    def to_representation(self, obj):
        return str(getattr(obj, self.slug_field))
