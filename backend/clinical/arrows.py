"""The arrow rule (A4): what arrow a lab value shows beside it.

1. The LIS flag wins when there is one: H → ↑, L → ↓, HH → ↑↑ (critical), LL → ↓↓ (critical), N → none.
   The LIS knows things we do not (critical limits, age/sex-specific ranges, delta checks).
2. Without a flag, a numeric value is compared with the reference range (the FHIR adapter already does this for
   an Observation without interpretation; other adapters may not): above the upper limit → H (↑),
   below the lower limit → L (↓), within → N. Critical limits are not known here, so no ↑↑/↓↓ is computed.
3. A text result (阴性, 阳性, 未检出, "<0.10") gets no arrow: an arrow means "higher/lower than the range", which a
   text has no place in. Its LIS flag is kept, so a flagged 阳性 is still found by "abnormal only".
"""

import re
from decimal import Decimal, InvalidOperation

from clinical.models import Arrow, Flag

_ARROWS = {Flag.HIGH: Arrow.UP, Flag.LOW: Arrow.DOWN, Flag.CRITICAL_HIGH: Arrow.CRITICAL_UP,
           Flag.CRITICAL_LOW: Arrow.CRITICAL_DOWN}
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_numeric(value: str) -> Decimal | None:
    """A plain decimal number as text → Decimal; anything else (阴性, "<0.1", "1+") → None."""
    text = (value or "").strip()
    if not _PLAIN_NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def effective_flag(lis_flag: str, numeric: Decimal | None, low: Decimal | None, high: Decimal | None) -> str:
    """The LIS's flag when it sent a known one, else one computed from the range ("" when neither can say)."""
    if lis_flag in Flag.values and lis_flag != Flag.NONE:
        return lis_flag
    if numeric is None or (low is None and high is None):
        return Flag.NONE
    if high is not None and numeric > high:
        return Flag.HIGH
    if low is not None and numeric < low:
        return Flag.LOW
    return Flag.NORMAL


def arrow_for(flag: str, numeric: Decimal | None) -> str:
    if numeric is None:
        return Arrow.NONE
    return _ARROWS.get(flag, Arrow.NONE)
