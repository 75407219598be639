"""Chinese personal identifiers: resident ID numbers (GB 11643-1999), mobile numbers, and their masks."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_number_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def is_valid_id_number(value: str) -> bool:
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born > timezone.localdate():
        return False  # nobody is born in the future: a typo in the birth-date digits
    return id_number_check_char(value[:17]) == value[17]


def validate_id_number(value: str) -> None:
    if not is_valid_id_number(value):
        raise ValidationError(_("Enter a valid 18-digit resident ID number."), code="invalid_id_number")


def id_number_birth_date(value: str) -> date:
    value = normalize_id_number(value)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_number_sex(value: str) -> str:
    """'M' or 'F' from the sequence digit (odd = male)."""
    return "M" if int(normalize_id_number(value)[16]) % 2 else "F"


def normalize_phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def is_valid_mobile(value: str) -> bool:
    return bool(_MOBILE_RE.match(normalize_phone(value)))


def validate_mobile(value: str) -> None:
    if not is_valid_mobile(value):
        raise ValidationError(_("Enter a valid mainland China mobile number."), code="invalid_phone")


def mask_id_number(value: str | None) -> str:
    """3301**********123X — keeps region prefix and last four, as hospitals print on slips."""
    if not value:
        return ""
    value = normalize_id_number(value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = normalize_phone(value)
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧**娜: for family screens and public displays."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
