"""Reusable serializer fields."""

import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.identity import is_valid_id_number, is_valid_mobile, normalize_id_number, normalize_phone


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


class PhoneField(serializers.CharField):
    """A mainland China mobile number, normalised (spaces, dashes and +86 removed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = normalize_phone(super().to_internal_value(data))
        if not is_valid_mobile(value):
            raise serializers.ValidationError(_("Enter a valid mainland China mobile number."))
        return value


class IdNumberField(serializers.CharField):
    """An 18-digit resident ID number with a valid GB 11643 check digit, upper-case X."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("min_length", 18)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = normalize_id_number(super().to_internal_value(data))
        if not is_valid_id_number(value):
            raise serializers.ValidationError(_("Enter a valid 18-digit resident ID number."))
        return value
