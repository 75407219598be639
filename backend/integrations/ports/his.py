"""HIS port: patient index, visits, diagnoses, staff roster, procedure catalogue, admission certificate, fees,
and ADT (admission A01, transfer A02, discharge A03: see AdtPort, which HisPort includes)."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
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
    body_site: str = ""  # 手术部位
    typical_duration_minutes: int | None = None  # None: the HIS does not say
    anaesthesia_methods: tuple[str, ...] = ()  # as the HIS names them ("全身麻醉", "局麻"...): mapped by name


@dataclass(frozen=True)
class HisProcedureCatalogue:
    version: str  # the HIS's version / ETag of the whole catalogue ("" if it gives none)
    procedures: tuple[HisProcedure, ...]


@dataclass(frozen=True)
class TestPackageLine:
    code: str  # the HIS order item code (检验项目 / 检查项目)
    name: str
    kind: str  # "lab" | "exam"


@dataclass(frozen=True)
class TestPackage:
    """A procedure's pre-operative test package (检查检验套餐), so the HIS can order it in one go."""

    procedure_code: str
    procedure_name: str
    items: tuple[TestPackageLine, ...]


@dataclass(frozen=True)
class TestPackageReceipt:
    his_id: str  # the HIS record id of the package
    version: str = ""


@dataclass(frozen=True)
class AdmissionCertificate:
    """A day-surgery admission certificate (日间手术入院证) opened by the surgeon, pushed to the HIS."""

    certificate_no: str  # our number, the idempotency anchor on the HIS side
    reg_no: str
    department_code: str
    doctor_employee_no: str
    planned_admission_date: date
    diagnosis_code: str  # ICD-10
    diagnosis_name: str
    procedure_code: str = ""  # ICD-9-CM-3
    procedure_name: str = ""
    ward_code: str = ""
    note: str = ""


@dataclass(frozen=True)
class AdmissionCertificateReceipt:
    his_id: str  # the HIS record id of the certificate
    inpatient_no: str  # 住院号 assigned by the HIS ("" if it assigns one only at admission)
    status: str  # HIS status, e.g. "booked"


@dataclass(frozen=True)
class HisFeeItem:
    """One charge (ChargeItem) of a patient's visit, for pre-admission fee merging and cost indicators."""

    fee_no: str
    reg_no: str
    visit_no: str
    code: str
    name: str
    category: str  # 检验 / 检查 / 诊查 / 药品 ...
    quantity: Decimal
    unit_price: Decimal  # 元
    amount: Decimal  # quantity × unit_price
    occurred_at: datetime | None = None


# --- ADT: admission (A01), transfer (A02), discharge (A03) of a day-surgery stay ------------------------------


@dataclass(frozen=True)
class AdtAdmission:
    """A01: the patient arrives on the day and is registered as a day-surgery inpatient (日间手术入院登记)."""

    case_no: str  # our day-surgery case id: the HIS keeps it on the encounter (idempotency anchor)
    reg_no: str
    admitted_at: datetime
    department_code: str
    ward_code: str
    ward_name: str = ""
    bed_no: str = ""
    attending_employee_no: str = ""
    diagnosis_code: str = ""  # ICD-10
    diagnosis_name: str = ""
    procedure_code: str = ""  # ICD-9-CM-3 (the planned operation)
    procedure_name: str = ""


@dataclass(frozen=True)
class AdtTransfer:
    """A02: the day-surgery stay becomes an ordinary inpatient stay in another ward (日间转普通住院)."""

    encounter_id: str  # the HIS encounter of the day-surgery admission (the link is kept on it)
    transferred_at: datetime
    target_ward_code: str
    target_ward_name: str
    target_department_code: str = ""
    bed_no: str = ""
    reason: str = ""


@dataclass(frozen=True)
class AdtDischarge:
    """A03: the patient leaves; `disposition_code` is 离院方式 (WS 364 CV06.00.226: 1 医嘱离院 … 9 其他)."""

    encounter_id: str
    discharged_at: datetime
    disposition_code: str
    disposition_name: str = ""


@dataclass(frozen=True)
class AdtReceipt:
    """What the HIS holds for the encounter after an ADT message."""

    encounter_id: str
    admission_no: str  # 住院号
    visit_no: str  # 住院流水号 / 就诊号 of this stay
    status: str  # FHIR Encounter.status: "in-progress" | "finished" | ...
    patient_class: str  # "day_surgery" | "inpatient"
    ward_code: str = ""
    bed_no: str = ""
    admitted_at: datetime | None = None
    discharged_at: datetime | None = None
    version: str = ""


class AdtPort(Protocol):
    """The ADT part of the HIS port. Every write is idempotent: repeating it (same key, or the same case) returns
    the HIS's current encounter and never creates a second stay."""

    def admit(self, admission: AdtAdmission, *, idempotency_key: str) -> AdtReceipt: ...

    def transfer(self, transfer: AdtTransfer, *, idempotency_key: str) -> AdtReceipt: ...

    def discharge(self, discharge: AdtDischarge, *, idempotency_key: str) -> AdtReceipt: ...

    def get_encounter(self, encounter_id: str) -> AdtReceipt | None: ...


class HisPort(AdtPort, Protocol):
    def find_patient(self, *, reg_no: str | None = None, id_number: str | None = None,
                     phone: str | None = None) -> list[HisPatient]: ...

    def get_visit(self, visit_no: str) -> HisVisit | None: ...

    def list_visits(self, reg_no: str) -> list[HisVisit]: ...

    def list_staff(self, *, id_number: str | None = None, phone: str | None = None) -> list[HisStaffMember]: ...

    def procedure_catalogue(self, *, known_version: str = "") -> HisProcedureCatalogue | None:
        """The whole catalogue, or None when the HIS says it is still `known_version` (nothing to do)."""
        ...

    def push_test_package(self, package: TestPackage, *, idempotency_key: str) -> TestPackageReceipt: ...

    def push_admission_certificate(self, certificate: AdmissionCertificate, *,
                                   idempotency_key: str) -> AdmissionCertificateReceipt: ...

    def list_fees(self, reg_no: str, *, visit_no: str | None = None) -> list[HisFeeItem]: ...

