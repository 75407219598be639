"""Medical-technology appointment port (医技预约): book pre-operative exams (ECG, imaging) for a patient, and read
the sedated (painless) endoscopy appointments that need an anaesthesia assessment first (A11)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

SEDATION_KINDS = ("gastroscopy", "colonoscopy", "bronchoscopy")
SEDATION_RESULTS = ("passed", "failed")


@dataclass(frozen=True)
class MedtechAppointment:
    appointment_no: str
    request_no: str  # our exam request number
    reg_no: str
    exam_code: str
    exam_name: str
    scheduled_at: datetime | None
    location: str
    status: str  # "booked" | "cancelled"


@dataclass(frozen=True)
class SedationBooking:
    """A sedated endoscopy (无痛胃镜 / 无痛肠镜 / 无痛支气管镜) booked in the medical-tech system."""

    appointment_no: str
    reg_no: str  # 登记号
    visit_no: str  # the visit that ordered it (就诊号)
    exam_code: str
    exam_name: str
    procedure_kind: str  # one of SEDATION_KINDS
    scheduled_at: datetime | None
    location: str
    ordering_doctor_employee_no: str
    ordering_doctor_name: str
    status: str  # "booked" | "cancelled"


class MedtechPort(Protocol):
    def book(self, *, request_no: str, reg_no: str, exam_code: str, exam_name: str, earliest: date,
             idempotency_key: str) -> MedtechAppointment: ...

    def list_appointments(self, reg_no: str) -> list[MedtechAppointment]: ...

    def cancel(self, appointment_no: str, *, idempotency_key: str) -> MedtechAppointment: ...

    def list_sedation_appointments(self, *, on: date) -> list[SedationBooking]:
        """Every sedated endoscopy appointment scheduled on `on`, cancelled ones included (status "cancelled")."""
        ...

    def report_sedation_assessment(self, *, appointment_no: str, result: str, note: str,
                                   idempotency_key: str) -> None:
        """Tell the medical-tech system the anaesthesia assessment's outcome (`result` in SEDATION_RESULTS): it
        releases (passed) or holds (failed) the appointment. An unknown appointment is refused (4xx)."""
        ...
