"""LIS port: laboratory reports with per-item reference ranges and abnormal flags."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

# Abnormal flags (HL7 table 0078 subset used by Chinese LIS): N normal, H/L outside the reference range,
# HH/LL critical (危急值).
FLAGS = ("N", "H", "L", "HH", "LL")


@dataclass(frozen=True)
class LabResult:
    code: str  # LOINC or the LIS item code
    name: str
    value: str  # as reported (may be text such as "阴性")
    numeric_value: Decimal | None
    unit: str
    ref_low: Decimal | None
    ref_high: Decimal | None
    ref_text: str
    flag: str  # one of FLAGS; "" when neither the LIS nor the range says

    @property
    def abnormal(self) -> bool:
        return self.flag not in ("", "N")

    @property
    def critical(self) -> bool:
        return self.flag in ("HH", "LL")


@dataclass(frozen=True)
class LabReport:
    report_no: str  # 检验报告单号
    reg_no: str
    visit_no: str
    panel_code: str
    name: str
    issued_at: datetime | None
    results: tuple[LabResult, ...] = ()


class LisPort(Protocol):
    def list_reports(self, reg_no: str, *, visit_no: str | None = None) -> list[LabReport]: ...
