"""Theatre scheduling port (手术排班 / 手麻系统): submit a surgical application, cancel it, read the schedule.

The theatre answers asynchronously: an application is `received`, later `scheduled` (room, sequence, planned
start) or `cancelled`. The platform learns it by polling (`get_application`, `get_schedule`) and by the
theatre's signed callback, whose body the adapter reads with `parse_callback` (its wire format is the adapter's
business, like every other answer of the theatre system).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

BOOKING_STATUSES = ("received", "scheduled", "cancelled")


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
    surgeon_name: str = ""
    diagnosis_name: str = ""
    planned_session: str = ""  # "am" | "pm" | ""
    ward_code: str = ""
    preferred_room: str = ""  # the booking doctor's wish (room code), the theatre decides
    preferred_sequence: int | None = None


@dataclass(frozen=True)
class TheatreBooking:
    """Where the application stands on the theatre side: received → scheduled (room, sequence, start) or
    cancelled."""

    application_no: str
    status: str  # "received" | "scheduled" | "cancelled"
    room: str = ""
    sequence: int | None = None  # 台序
    scheduled_start: datetime | None = None
    revision: int | None = None  # increases with every change on the theatre side (orders late callbacks)
    reason: str = ""  # why the theatre cancelled


class TheatrePort(Protocol):
    def submit_application(self, application: TheatreApplication, *, idempotency_key: str) -> TheatreBooking: ...

    def get_application(self, application_no: str) -> TheatreBooking | None: ...

    def cancel_application(self, application_no: str, *, idempotency_key: str) -> TheatreBooking: ...

    def get_schedule(self, day: date) -> list[TheatreBooking]: ...

    def parse_callback(self, body: dict) -> TheatreBooking:
        """The booking a callback body describes; ValueError when the body is not one."""
        ...
