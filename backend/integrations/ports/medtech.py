"""Medical-technology appointment port (医技预约): book pre-operative exams (ECG, imaging) for a patient."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


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


class MedtechPort(Protocol):
    def book(self, *, request_no: str, reg_no: str, exam_code: str, exam_name: str, earliest: date,
             idempotency_key: str) -> MedtechAppointment: ...

    def list_appointments(self, reg_no: str) -> list[MedtechAppointment]: ...

    def cancel(self, appointment_no: str, *, idempotency_key: str) -> MedtechAppointment: ...
