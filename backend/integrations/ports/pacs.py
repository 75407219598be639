"""PACS / ECG port: imaging and ECG report text (findings and conclusion)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ExamReport:
    report_no: str  # 检查报告单号
    reg_no: str
    visit_no: str
    kind: str  # "exam" (imaging / ultrasound) or "ecg"
    code: str
    name: str
    findings: str  # 检查所见
    conclusion: str  # 诊断意见 / 结论
    abnormal: bool | None  # None when the system does not say
    issued_at: datetime | None


class PacsPort(Protocol):
    def list_reports(self, reg_no: str, *, kind: str | None = None,
                     visit_no: str | None = None) -> list[ExamReport]: ...
