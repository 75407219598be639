"""HIS port: patient index, visits, diagnoses, staff roster, procedure catalogue, admission certificate, fees."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True)
class Identifier:
    system: str  # "reg_no" 登记号, "outpatient_no" 门诊号, "inpatient_no" 住院号, "id_card" 身份证号 ...
    value: str


@dataclass(frozen=True)
class HisPatient:
    reg_no: str  # 登记号: the hospital master patient number
    name: str
    sex: str  # "M" | "F"
    birth_date: date | None
    phone: str
    id_number: str  # 身份证号
    identifiers: tuple[Identifier, ...] = ()
    address: str = ""


@dataclass(frozen=True)
class HisStaffMember:
    employee_no: str  # 工号
    name: str
    id_number: str
    phone: str
    department_code: str
    role: str  # our RoleSlug value: doctor, nurse, anaesthetist, ...
    title: str = ""


@dataclass(frozen=True)
class HisDiagnosis:
    code: str  # ICD-10
    name: str
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class HisVisit:
    visit_no: str  # 就诊号
    reg_no: str
    kind: str  # "outpatient" | "inpatient"
    department_code: str
    doctor_employee_no: str
    started_at: datetime
    diagnoses: tuple[HisDiagnosis, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class HisProcedure:
    code: str  # ICD-9-CM-3 / national clinical edition
    name: str
    grade: int  # 1–4 手术级别
    incision_class: str  # "0", "I", "II", "III" (mapped by name, see DOMAIN.md §2.5)
    department_code: str = ""


class HisPort(Protocol):
    def find_patient(self, *, reg_no: str | None = None, id_number: str | None = None,
                     phone: str | None = None) -> list[HisPatient]: ...

    def get_visit(self, visit_no: str) -> HisVisit | None: ...

    def list_visits(self, reg_no: str) -> list[HisVisit]: ...

    def list_staff(self, *, id_number: str | None = None, phone: str | None = None) -> list[HisStaffMember]: ...

    def list_procedures(self) -> list[HisProcedure]: ...
