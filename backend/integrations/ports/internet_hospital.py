"""Internet-hospital port (互联网医院): a notice in the patient's internet-hospital app / account.

The hospital's internet-hospital platform knows its registered patients by the HIS 登记号; it refuses (4xx) a
patient who never registered with it, so the sender falls back to the next channel.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class InternetHospitalNotice:
    reg_no: str  # the HIS patient number the internet hospital keys its accounts on
    phone: str
    title: str
    body: str
    link: str = ""


@dataclass(frozen=True)
class InternetHospitalResult:
    message_id: str


class InternetHospitalPort(Protocol):
    def push(self, notice: InternetHospitalNotice, *, idempotency_key: str) -> InternetHospitalResult: ...
