"""Theatre scheduling port (手术排班 / 手麻系统): submit a surgical application, cancel it, read the schedule."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True)
class TheatreApplication:
    application_no: str  # 手术申请单号 (ours; the theatre system's idempotency anchor)
    reg_no: str
    patient_name: str
    procedure_code: str
    procedure_name: str
    surgeon_employee_no: str
    department_code: str
    planned_date: date
    estimated_minutes: int = 60
    anaesthesia: str = ""  # e.g. "local", "general"
    day_surgery: bool = True


@dataclass(frozen=True)
class TheatreBooking:
    """Where the application stands on the theatre side: received → scheduled (room, sequence, start) or
    cancelled."""

    application_no: str
    status: str  # "received" | "scheduled" | "cancelled"
    room: str = ""
    sequence: int | None = None  # 台序
    scheduled_start: datetime | None = None


class TheatrePort(Protocol):
    def submit_application(self, application: TheatreApplication, *, idempotency_key: str) -> TheatreBooking: ...

    def get_application(self, application_no: str) -> TheatreBooking | None: ...

    def cancel_application(self, application_no: str, *, idempotency_key: str) -> TheatreBooking: ...

    def get_schedule(self, day: date) -> list[TheatreBooking]: ...
