"""Validation of the assessment's sections (A2, A9), built from the form definition in anaesthesia.form.

- `clean_sections(data)`: a draft save. Each section present is checked by its serializer (types, ranges, choices,
  the diagram structures); absent fields stay as they were, `null` clears a field. Errors are field-level with
  dotted keys (``"vitals.heart_rate"``) and Chinese messages.
- `missing_fields(assessment, stage)`: A9. Every risk-relevant field still empty (and, to conclude, the decision's
  own fields), each with its own message, so the client can mark them all at once.
"""

import math
import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from anaesthesia import form
from core.errors import InvalidInput

# --- field types -------------------------------------------------------------------------------------------------


class StrictFloatField(serializers.FloatField):
    """A finite number; JSON booleans are not numbers (DRF would read true as 1.0)."""

    default_error_messages = {"finite": _("Enter a finite number.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("finite")
        return value


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false (and null = not answered): "no" or 0 from a form is a client bug, not an answer."""

    def to_internal_value(self, data):
        if data is True or data is False:
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice given as its own type: 3 for ASA III (also "3"), never true or 3.7."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or isinstance(data, float | dict | list):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class StrictDictField(serializers.Serializer):
    """A nested object that refuses keys it does not know (a misspelt key would be silently lost)."""

    default_error_messages = {"unknown": _("Unknown field.")}

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(_("Expected an object."))
        errors = {k: [self.error_messages["unknown"]] for k in sorted(set(map(str, data)) - set(self.fields))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class SystemFindingSerializer(StrictDictField):
    status = StrictChoiceField(choices=form.SYSTEM_STATUS)
    text = StrictCharField(max_length=500, allow_blank=True, required=False, default="")

    def validate(self, attrs):
        if attrs["status"] == "abnormal" and not attrs.get("text", "").strip():
            raise serializers.ValidationError({"text": [_("Describe the abnormal finding.")]})
        return attrs


class ToothSerializer(StrictDictField):
    tooth = StrictChoiceField(choices=[(n, str(n)) for n in form.FDI_TEETH])
    states = serializers.ListField(child=StrictChoiceField(choices=form.TOOTH_STATES), min_length=1, max_length=4)
    note = StrictCharField(max_length=100, allow_blank=True, required=False, default="")

    def validate_states(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("A state is listed twice."))
        if "missing" in value and len(value) > 1:
            raise serializers.ValidationError(_("A missing tooth has no other state."))
        return value


class TeethField(serializers.ListField):
    child = ToothSerializer()

    def __init__(self, **kwargs):
        super().__init__(max_length=len(form.FDI_TEETH), **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        numbers = [t["tooth"] for t in value]
        if len(set(numbers)) != len(numbers):
            raise serializers.ValidationError(_("A tooth is listed twice."))
        return sorted(value, key=lambda t: t["tooth"])


class EyeSerializer(StrictDictField):
    pupil_mm = StrictFloatField(min_value=1, max_value=9, required=False, allow_null=True)
    light_reflex = StrictChoiceField(choices=form.PUPIL_REFLEX, required=False, allow_null=True)
    marks = serializers.ListField(child=StrictChoiceField(choices=form.EYE_MARKS), max_length=len(form.EYE_MARKS),
                                  required=False, default=list)
    note = StrictCharField(max_length=200, allow_blank=True, required=False, default="")

    def validate_marks(self, value):
        return sorted(set(value))


class EyesSerializer(StrictDictField):
    left = EyeSerializer(required=False, allow_null=True)
    right = EyeSerializer(required=False, allow_null=True)


class AirwayMarkSerializer(StrictDictField):
    region = StrictChoiceField(choices=form.AIRWAY_REGIONS)
    kind = StrictChoiceField(choices=form.AIRWAY_MARK_KINDS)
    note = StrictCharField(max_length=200, allow_blank=True, required=False, default="")


CAPRINI_KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


def _build_field(f: form.Field):
    common = {"required": False, "allow_null": True}
    if f.type == "decimal":
        return StrictFloatField(min_value=Decimal(str(f.min)), max_value=Decimal(str(f.max)), **common)
    if f.type == "integer":
        return StrictIntegerField(min_value=int(f.min), max_value=int(f.max), **common)
    if f.type == "boolean":
        return StrictBooleanField(**common)
    if f.type == "choice":
        return StrictChoiceField(choices=form.field_choices(f), **common)
    if f.type == "multi_choice":
        return serializers.ListField(
            child=serializers.RegexField(CAPRINI_KEY, max_length=60), max_length=40, **common
        )
    if f.type == "text":
        return StrictCharField(max_length=f.max_length, allow_blank=True, **common)
    if f.type == "system_finding":
        return SystemFindingSerializer(**common)
    if f.type == "teeth":
        return TeethField(**common)
    if f.type == "eyes":
        return EyesSerializer(**common)
    if f.type == "airway_marks":
        return serializers.ListField(child=AirwayMarkSerializer(), max_length=40, **common)
    raise ValueError(f"unknown field type {f.type}")


def _section_serializer(section: form.Section):
    attrs = {f.key: _build_field(f) for f in section.fields}
    return type(f"{section.key.title()}SectionSerializer", (StrictDictField,), attrs)


SECTION_SERIALIZERS = {s.key: _section_serializer(s) for s in form.SECTIONS}

# --- draft saves -------------------------------------------------------------------------------------------------


def _flatten_errors(prefix, detail, out):
    if isinstance(detail, dict):
        for key, value in detail.items():
            _flatten_errors(f"{prefix}.{key}" if prefix else str(key), value, out)
    elif isinstance(detail, list) and detail and all(not isinstance(x, dict | list) for x in detail):
        out.setdefault(prefix, []).extend(str(x) for x in detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                _flatten_errors(f"{prefix}.{index}", value, out)
    else:
        out.setdefault(prefix, []).append(str(detail))


def clean_sections(data) -> dict:
    """The validated partial sections of a draft save: {section: {field: value}} (only the fields sent)."""
    if not isinstance(data, dict):
        raise InvalidInput(fields={"sections": [_("Expected an object.")]})
    errors, cleaned = {}, {}
    for key, values in data.items():
        serializer_class = SECTION_SERIALIZERS.get(key)
        if serializer_class is None:
            errors[str(key)] = [str(_("Unknown section."))]
            continue
        if not isinstance(values, dict):
            errors[str(key)] = [str(_("Expected an object."))]
            continue
        serializer = serializer_class(data=values, partial=True)
        if not serializer.is_valid():
            _flatten_errors(key, serializer.errors, errors)
            continue
        # partial=True keeps only the fields sent; serializer defaults do not invent values.
        cleaned[key] = {k: v for k, v in serializer.validated_data.items() if k in values}
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def merge_sections(current: dict, changes: dict) -> dict:
    merged = {k: dict(v) for k, v in (current or {}).items()}
    for section, values in changes.items():
        target = merged.setdefault(section, {})
        for key, value in values.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
        if not target:
            merged.pop(section)
    return merged


# --- required fields (A9) ----------------------------------------------------------------------------------------

EVALUATE = "evaluate"
CONCLUDE = "conclude"


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def missing_fields(*, sections: dict, general: dict, procedure_type: str, stage: str) -> dict:
    """{dotted path: [message]} for every required field still empty at `stage` (evaluate or conclude)."""
    missing = {}
    if general.get("age") is None:
        missing["general.age"] = [str(_("The patient's date of birth is unknown; correct it in the HIS."))]
    if general.get("sex") not in ("M", "F"):
        missing["general.sex"] = [str(_("The patient's sex is unknown; correct it in the HIS."))]
    for section, f in form.iter_fields():
        if not form.applies(f, procedure_type):
            continue
        needed = f.required_for_risk or (stage == CONCLUDE and f.required_to_conclude)
        value = (sections.get(section.key) or {}).get(f.key)
        # An empty list is an answer for a multiple choice ("none of these"); only "not given" is missing.
        if needed and (value is None if f.type == "multi_choice" else _empty(value)):
            message = _("%(label)s is required for the risk evaluation.") if f.required_for_risk else _(
                "%(label)s is required before concluding.")
            missing[f"{section.key}.{f.key}"] = [str(message % {"label": f.label})]
    # Consistency a form cannot express per field.
    body = sections.get("body") or {}
    if body.get("height_cm") and body.get("weight_kg"):
        bmi = body["weight_kg"] / (body["height_cm"] / 100) ** 2
        if not 8 <= bmi <= 120:
            missing["body.weight_kg"] = [str(_("Height and weight give an implausible BMI (%(bmi).1f).")
                                             % {"bmi": bmi})]
    vitals = sections.get("vitals") or {}
    if vitals.get("systolic_bp") and vitals.get("diastolic_bp") and vitals["diastolic_bp"] >= vitals["systolic_bp"]:
        missing["vitals.diastolic_bp"] = [str(_("The diastolic pressure must be lower than the systolic."))]
    history = sections.get("history") or {}
    if history.get("insulin_treatment") is True and history.get("diabetes") is False:
        missing["history.diabetes"] = [str(_("Insulin treatment is recorded, but diabetes is not."))]
    return missing


def require_complete(*, sections, general, procedure_type, stage):
    missing = missing_fields(sections=sections, general=general, procedure_type=procedure_type, stage=stage)
    if missing:
        raise InvalidInput(
            _("Some required fields are missing or inconsistent."), code="assessment_incomplete", fields=missing,
            extra={"missing": sorted(missing)},
        )
