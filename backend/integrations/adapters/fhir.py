"""FHIR R4 JSON over HTTP adapters for HIS, LIS and PACS/ECG.

Mapping functions are pure (resource dict → DTO) so they are tested on recorded payloads as well as against
the simulator. Identifier and code systems default to the ones below; a hospital maps its own URIs through
settings.INTEGRATION_FHIR_SYSTEMS (same keys).
"""

from __future__ import annotations

import base64
import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import ExternalServiceError
from integrations.adapters.fhir_adt import FhirAdtMixin
from integrations.adapters.fhir_imaging import FhirImagingMixin
from integrations.http import HttpClient
from integrations.ports.his import (
    AdmissionCertificate,
    AdmissionCertificateReceipt,
    HisDiagnosis,
    HisFeeItem,
    HisPatient,
    HisProcedure,
    HisProcedureCatalogue,
    HisStaffMember,
    HisVisit,
    Identifier,
    TestPackage,
    TestPackageReceipt,
)
from integrations.ports.lis import LabReport, LabResult
from integrations.ports.pacs import ExamReport

_SID = "https://fhir.hospital.example/sid/"
DEFAULT_SYSTEMS = {
    "reg_no": _SID + "reg-no",
    "outpatient_no": "urn:oid:2.16.156.10011.1.11",
    "inpatient_no": "urn:oid:2.16.156.10011.1.12",
    "id_card": "urn:oid:2.16.156.10011.1.3",
    "visit_no": _SID + "visit-no",
    "employee_no": _SID + "employee-no",
    "department": _SID + "department",
    "certificate_no": _SID + "admission-certificate-no",
    "role": "https://fhir.hospital.example/CodeSystem/staff-role",
    "fee_category": "https://fhir.hospital.example/StructureDefinition/fee-category",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "icd9cm": "http://hl7.org/fhir/sid/icd-9-cm",
    "interpretation": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    "report_category": "http://terminology.hl7.org/CodeSystem/v2-0074",
    "procedure_codesystem_id": "day-surgery-procedures",
    "test_package": _SID + "day-surgery-test-package",
    "lab_item": "https://fhir.hospital.example/CodeSystem/lab-panel",
    "exam_item": "https://fhir.hospital.example/CodeSystem/exam-item",
}
# Patient identifier systems we keep, by our PatientIdentifier system name.
_PATIENT_ID_KEYS = ("reg_no", "outpatient_no", "inpatient_no", "id_card")
# v3 ObservationInterpretation → our flag. HU/LU ("significantly high/low") are how some LIS send 危急值.
# Other codes (A abnormal, AA critical abnormal, HX/LX, IND...) carry no direction: the flag then comes from the
# reference range, as when no interpretation is sent, so an out-of-range value is never left unflagged.
_FLAG_MAP = {"N": "N", "H": "H", "L": "L", "HH": "HH", "LL": "LL", "HU": "HH", "LU": "LL", ">": "HH", "<": "LL"}
logger = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"
_MAX_PAGES = 50  # a searchset larger than this is a query bug on our side, not a page to keep following


def systems() -> dict:
    return {**DEFAULT_SYSTEMS, **(getattr(settings, "INTEGRATION_FHIR_SYSTEMS", {}) or {})}


# --- small readers --------------------------------------------------------------------------------------
def _ref_id(ref: dict | None) -> str:
    return ((ref or {}).get("reference") or "").rsplit("/", 1)[-1]


def _identifier(resource: dict, system: str) -> str:
    return next((i.get("value", "") for i in resource.get("identifier", []) if i.get("system") == system), "")


def _coding(concept: dict | None, system: str | None = None) -> dict:
    codings = (concept or {}).get("coding", [])
    return next((c for c in codings if system is None or c.get("system") == system), {})


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    if len(value) == 10:  # a FHIR date where a dateTime was expected
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _name(resource: dict) -> str:
    names = resource.get("name", [])
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    if official.get("text"):
        return official["text"]
    return (official.get("family") or "") + "".join(official.get("given") or [])


def _phone(resource: dict) -> str:
    return next((t.get("value", "") for t in resource.get("telecom", []) if t.get("system") == "phone"), "")


def _org_code(ref: dict | None, sys: dict) -> str:
    ident = (ref or {}).get("identifier") or {}
    return ident.get("value", "") if ident.get("system") in (None, sys["department"]) else ""


# --- mappers (resource → DTO) ---------------------------------------------------------------------------
def map_patient(resource: dict) -> HisPatient:
    sys = systems()
    by_uri = {sys[k]: k for k in _PATIENT_ID_KEYS}
    identifiers = tuple(Identifier(by_uri[i["system"]], i["value"])
                        for i in resource.get("identifier", []) if i.get("system") in by_uri and i.get("value"))
    birth = resource.get("birthDate")
    return HisPatient(
        reg_no=_identifier(resource, sys["reg_no"]) or resource.get("id", ""),
        name=_name(resource),
        sex={"male": "M", "female": "F"}.get(resource.get("gender", ""), ""),
        birth_date=date.fromisoformat(birth[:10]) if birth and len(birth) >= 10 else None,
        phone=_phone(resource),
        id_number=_identifier(resource, sys["id_card"]).upper(),
        identifiers=identifiers,
        address=next((a.get("text", "") for a in resource.get("address", [])), ""),
    )


def map_encounter(resource: dict, conditions: dict[str, dict]) -> HisVisit:
    """`conditions`: Condition resources by id (from _revinclude), ordered by Encounter.diagnosis rank."""
    sys = systems()
    ranked = sorted(resource.get("diagnosis", []), key=lambda d: d.get("rank", 99))
    diagnoses = []
    for entry in ranked:
        cond = conditions.get(_ref_id(entry.get("condition")))
        if cond:
            coding = _coding(cond.get("code"), sys["icd10"]) or _coding(cond.get("code"))
            diagnoses.append(HisDiagnosis(code=coding.get("code", ""),
                                          name=coding.get("display") or cond.get("code", {}).get("text", ""),
                                          recorded_at=_datetime(cond.get("recordedDate"))))
    participant = next(iter(resource.get("participant", [])), {}).get("individual", {})
    doctor = (participant.get("identifier") or {}).get("value") or _ref_id(participant)
    klass = (resource.get("class") or {}).get("code", "")
    return HisVisit(
        visit_no=_identifier(resource, sys["visit_no"]) or resource.get("id", ""),
        reg_no=_ref_id(resource.get("subject")),
        kind="outpatient" if klass in ("AMB", "EMER", "VR") else "inpatient",
        department_code=_org_code(resource.get("serviceProvider"), sys),
        doctor_employee_no=doctor,
        started_at=_datetime((resource.get("period") or {}).get("start")),
        diagnoses=tuple(diagnoses),
    )


def map_staff(role: dict, practitioner: dict) -> HisStaffMember:
    sys = systems()
    return HisStaffMember(
        employee_no=_identifier(practitioner, sys["employee_no"]) or practitioner.get("id", ""),
        name=_name(practitioner),
        id_number=_identifier(practitioner, sys["id_card"]).upper(),
        phone=_phone(practitioner),
        department_code=_org_code(role.get("organization"), sys),
        role=next((_coding(c, sys["role"]).get("code") for c in role.get("code", [])
                   if _coding(c, sys["role"])), ""),
        title=next(((q.get("code") or {}).get("text", "") for q in practitioner.get("qualification", [])), ""),
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _first_of(props: dict[str, list]):
    return lambda code: (props.get(code) or [None])[0]


def map_procedures(codesystem: dict) -> list[HisProcedure]:
    out = []
    for concept in codesystem.get("concept", []):
        props: dict[str, list] = {}  # a property may repeat (one "anaesthesia" per method)
        for p in concept.get("property", []):
            value = next((v for k, v in p.items() if k.startswith("value")), None)
            props.setdefault(p.get("code"), []).append(value)

        first = _first_of(props)
        grade = _int(first("grade"))
        if grade is None:
            continue  # a procedure without a grade cannot be offered for day surgery (grading rules)
        duration = _int(first("duration"))
        out.append(HisProcedure(code=first("icd9cm") or concept["code"], name=concept.get("display", ""),
                                grade=grade, incision_class=str(first("incision-class") or ""),
                                department_code=first("department") or "",
                                body_site=str(first("body-site") or "").strip(),
                                typical_duration_minutes=duration if duration and duration > 0 else None,
                                anaesthesia_methods=tuple(str(v).strip() for v in props.get("anaesthesia", []) if v)))
    return out


def codesystem_version(codesystem: dict, etag: str = "") -> str:
    """The catalogue's version: the ETag if the server sends one, else CodeSystem.version / meta.versionId."""
    return etag or codesystem.get("version") or (codesystem.get("meta") or {}).get("versionId") or ""


def test_package_resource_id(procedure_code: str) -> str:
    """Our id for a procedure's PlanDefinition: FHIR ids allow [A-Za-z0-9-.] up to 64 characters."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-.") else "-" for c in procedure_code)
    return f"dsp-{cleaned}"[:64]


def test_package_resource(package: TestPackage) -> dict:
    sys = systems()
    return {
        "resourceType": "PlanDefinition",
        "id": test_package_resource_id(package.procedure_code),
        "identifier": [{"system": sys["test_package"], "value": package.procedure_code}],
        "status": "active",
        "type": {"text": "order-set"},
        "title": f"{package.procedure_name} 术前检查检验套餐",
        "useContext": [{"code": {"code": "focus"}, "valueCodeableConcept": {"coding": [
            {"system": sys["icd9cm"], "code": package.procedure_code, "display": package.procedure_name}]}}],
        "action": [
            {"id": f"item-{n}", "title": item.name,
             "code": [{"coding": [{"system": sys["lab_item" if item.kind == "lab" else "exam_item"],
                                   "code": item.code, "display": item.name}]}]}
            for n, item in enumerate(package.items, start=1)
        ],
    }


def map_charge_item(resource: dict) -> HisFeeItem:
    sys = systems()
    coding = _coding(resource.get("code"))
    qty = _decimal((resource.get("quantity") or {}).get("value")) or Decimal("1")
    price = _decimal((resource.get("priceOverride") or {}).get("value")) or Decimal("0")
    price = price.quantize(Decimal("0.01"))
    return HisFeeItem(
        fee_no=next((i.get("value") for i in resource.get("identifier", [])), resource.get("id", "")),
        reg_no=_ref_id(resource.get("subject")),
        visit_no=_ref_id(resource.get("context")),
        code=coding.get("code", ""),
        name=coding.get("display") or (resource.get("code") or {}).get("text", ""),
        category=next((e.get("valueString", "") for e in resource.get("extension", [])
                       if e.get("url") == sys["fee_category"]), ""),
        quantity=qty,
        unit_price=price,
        amount=(qty * price).quantize(Decimal("0.01")),
        occurred_at=_datetime(resource.get("occurrenceDateTime")),
    )


def derive_flag(value: Decimal | None, low: Decimal | None, high: Decimal | None) -> str:
    """When the LIS sends no interpretation: H/L from the range (criticality cannot be derived, so no HH/LL)."""
    if value is None or (low is None and high is None):
        return ""
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return "N"


def map_observation(resource: dict) -> LabResult:
    sys = systems()
    coding = _coding(resource.get("code"))
    quantity = resource.get("valueQuantity")
    if quantity is not None:
        numeric = _decimal(quantity.get("value"))
        value, unit = (str(quantity.get("value")) if numeric is not None else ""), quantity.get("unit", "")
    else:
        numeric = None
        value = resource.get("valueString") or (resource.get("valueCodeableConcept") or {}).get("text", "")
        unit = ""
    ref = next(iter(resource.get("referenceRange", [])), {})
    low, high = _decimal((ref.get("low") or {}).get("value")), _decimal((ref.get("high") or {}).get("value"))
    interp = next((_coding(i, sys["interpretation"]).get("code") for i in resource.get("interpretation", [])
                   if _coding(i, sys["interpretation"])), None)
    flag = _FLAG_MAP.get(interp) or derive_flag(numeric, low, high)
    if interp == "AA" and flag in ("H", "L"):  # "critical abnormal" without a direction: the range gives it
        flag *= 2
    return LabResult(code=coding.get("code", ""), name=coding.get("display") or resource["code"].get("text", ""),
                     value=value, numeric_value=numeric, unit=unit or (ref.get("low") or {}).get("unit", ""),
                     ref_low=low, ref_high=high, ref_text=ref.get("text", ""), flag=flag)


def map_lab_report(report: dict, observations: dict[str, dict]) -> LabReport:
    coding = _coding(report.get("code"))
    results = tuple(map_observation(observations[_ref_id(r)]) for r in report.get("result", [])
                    if _ref_id(r) in observations)
    return LabReport(report_no=next((i.get("value") for i in report.get("identifier", [])), report.get("id", "")),
                     reg_no=_ref_id(report.get("subject")), visit_no=_ref_id(report.get("encounter")),
                     panel_code=coding.get("code", ""), name=coding.get("display") or report["code"].get("text", ""),
                     issued_at=_datetime(report.get("issued")), results=results)


def _category(report: dict) -> str:
    sys = systems()
    return next((_coding(c, sys["report_category"]).get("code", "") for c in report.get("category", [])
                 if _coding(c, sys["report_category"])), "")


def map_exam_report(report: dict) -> ExamReport:
    sys = systems()
    findings = ""
    for form in report.get("presentedForm", []):
        if form.get("contentType", "").startswith("text/plain") and form.get("data"):
            findings = base64.b64decode(form["data"]).decode("utf-8", "replace")
            break
    flag = next((_coding(c, sys["interpretation"]).get("code") for c in report.get("conclusionCode", [])
                 if _coding(c, sys["interpretation"])), None)
    coding = _coding(report.get("code"))
    return ExamReport(report_no=next((i.get("value") for i in report.get("identifier", [])), report.get("id", "")),
                      reg_no=_ref_id(report.get("subject")), visit_no=_ref_id(report.get("encounter")),
                      kind="ecg" if _category(report) in ("EC", "ECG") else "exam",
                      code=coding.get("code", ""), name=coding.get("display") or report["code"].get("text", ""),
                      findings=findings, conclusion=report.get("conclusion", ""),
                      abnormal=None if flag is None else flag != "N", issued_at=_datetime(report.get("issued")))


# --- the HTTP side --------------------------------------------------------------------------------------
def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class FhirClient:
    """Searches returning (matches, included-by-type-and-id), following `next` links."""

    def __init__(self, port: str, **kwargs):
        self.http = HttpClient(port, headers={"Accept": FHIR_JSON}, **kwargs)

    def search(self, resource_type: str, params: dict, *, operation: str) -> tuple[list[dict], dict]:
        matches, included = [], {}
        path, query = f"/{resource_type}", params
        for _ in range(_MAX_PAGES):
            bundle = self.http.get(path, params=query, operation=operation).json()
            for entry in bundle.get("entry", []):
                resource = entry.get("resource") or {}
                if (entry.get("search") or {}).get("mode", "match") == "match" and \
                        resource.get("resourceType") == resource_type:
                    matches.append(resource)
                else:
                    included.setdefault(resource.get("resourceType"), {})[resource.get("id")] = resource
            nxt = next((link["url"] for link in bundle.get("link", []) if link.get("relation") == "next"), None)
            if not nxt:
                break
            if _origin(nxt) != _origin(self.http.base):
                # Our session (and any credentials a hospital configures on it) goes only where settings say.
                logger.error("FHIR %s search: next link leaves the server (%s); paging stopped",
                             resource_type, _origin(nxt))
                raise ExternalServiceError(code="external_invalid_answer",
                                           extra={"port": self.http.port, "operation": operation})
            path, query = nxt, None  # an absolute URL with the server's own paging parameters
        return matches, included


class FhirHisAdapter(FhirAdtMixin):
    """HisPort over FHIR R4: Patient, Encounter(+Condition), PractitionerRole(+Practitioner), CodeSystem,
    Appointment (admission certificate) and ChargeItem."""

    port_name = "his"

    def __init__(self, **kwargs):
        self.fhir = FhirClient(self.port_name, **kwargs)

    def find_patient(self, *, reg_no=None, id_number=None, phone=None) -> list[HisPatient]:
        sys = systems()
        params = {}
        if reg_no:
            params["identifier"] = f"{sys['reg_no']}|{reg_no}"
        elif id_number:
            params["identifier"] = f"{sys['id_card']}|{id_number.strip().upper()}"
        if phone:
            params["telecom"] = phone
        if not params:
            raise ValueError("find_patient needs reg_no, id_number or phone")
        patients = [map_patient(r) for r in self.fhir.search("Patient", params, operation="find_patient")[0]]
        if reg_no and id_number:  # FHIR takes one identifier per search; apply the second one here
            patients = [p for p in patients if p.id_number == id_number.strip().upper()]
        return patients

    def _visits(self, params, operation) -> list[HisVisit]:
        encounters, included = self.fhir.search("Encounter", {**params, "_revinclude": "Condition:encounter"},
                                                operation=operation)
        conditions = included.get("Condition", {})
        return [map_encounter(e, conditions) for e in encounters]

    def get_visit(self, visit_no: str) -> HisVisit | None:
        visits = self._visits({"_id": visit_no}, "get_visit")
        return visits[0] if visits else None

    def list_visits(self, reg_no: str) -> list[HisVisit]:
        return self._visits({"patient": f"Patient/{reg_no}"}, "list_visits")

    def list_staff(self, *, id_number=None, phone=None) -> list[HisStaffMember]:
        sys = systems()
        params = {"_include": "PractitionerRole:practitioner"}
        if id_number:
            params["practitioner.identifier"] = f"{sys['id_card']}|{id_number.strip().upper()}"
        if phone:
            params["practitioner.telecom"] = phone
        roles, included = self.fhir.search("PractitionerRole", params, operation="list_staff")
        practitioners = included.get("Practitioner", {})
        return [map_staff(r, practitioners[_ref_id(r.get("practitioner"))]) for r in roles
                if _ref_id(r.get("practitioner")) in practitioners]

    def procedure_catalogue(self, *, known_version: str = "") -> HisProcedureCatalogue | None:
        # A conditional read: a server that keeps the version answers 304 and nothing needs to be parsed.
        codesystem_id = systems()["procedure_codesystem_id"]
        headers = {"If-None-Match": known_version} if known_version else None
        response = self.fhir.http.get(f"/CodeSystem/{codesystem_id}", operation="list_procedures",
                                      headers=headers, accept=(304,))
        if response.status_code == 304:
            return None
        body = response.json()
        version = codesystem_version(body, response.headers.get("ETag", ""))
        if known_version and version == known_version:  # a server that ignores If-None-Match
            return None
        return HisProcedureCatalogue(version=version, procedures=tuple(map_procedures(body)))

    def push_test_package(self, package: TestPackage, *, idempotency_key: str) -> TestPackageReceipt:
        # PUT under our own id (update-as-create): repeating it, or pushing a changed package, never duplicates.
        resource = test_package_resource(package)
        body = self.fhir.http.request(
            "PUT", f"/PlanDefinition/{resource['id']}", json=resource, operation="push_test_package",
            idempotency_key=idempotency_key, headers={"Content-Type": FHIR_JSON},
            summary={"procedure": package.procedure_code, "items": len(package.items)},
        ).json()
        return TestPackageReceipt(his_id=body.get("id") or resource["id"],
                                  version=str((body.get("meta") or {}).get("versionId") or ""))

    def push_admission_certificate(self, certificate: AdmissionCertificate, *,
                                   idempotency_key: str) -> AdmissionCertificateReceipt:
        sys = systems()
        resource = {
            "resourceType": "Appointment",
            "status": "proposed",
            "identifier": [{"system": sys["certificate_no"], "value": certificate.certificate_no}],
            "serviceType": [{"text": "日间手术入院"}],
            "specialty": [{"coding": [{"system": sys["department"], "code": certificate.department_code}]}],
            "reasonCode": [{"coding": [{"system": sys["icd10"], "code": certificate.diagnosis_code,
                                        "display": certificate.diagnosis_name}]}],
            "start": f"{certificate.planned_admission_date.isoformat()}T08:00:00+08:00",
            "comment": certificate.note,
            "participant": [
                {"actor": {"reference": f"Patient/{certificate.reg_no}"}, "status": "accepted"},
                {"actor": {"reference": f"Practitioner/{certificate.doctor_employee_no}"}, "status": "accepted"},
            ],
        }
        if certificate.procedure_code:
            resource["serviceType"].append({"coding": [{"system": sys["icd9cm"], "code": certificate.procedure_code,
                                                        "display": certificate.procedure_name}]})
        if certificate.ward_code:
            resource["participant"].append({"actor": {"identifier": {"value": certificate.ward_code},
                                                      "display": "ward"}, "status": "accepted"})
        body = self.fhir.http.post("/Appointment", json=resource, operation="push_admission_certificate",
                                   idempotency_key=idempotency_key, headers={"Content-Type": FHIR_JSON},
                                   summary={"certificate_no": certificate.certificate_no}).json()
        return AdmissionCertificateReceipt(his_id=body.get("id", ""),
                                           inpatient_no=_identifier(body, sys["inpatient_no"]),
                                           status=body.get("status", ""))

    def list_fees(self, reg_no: str, *, visit_no: str | None = None) -> list[HisFeeItem]:
        params = {"subject": f"Patient/{reg_no}"}
        if visit_no:
            params["context"] = f"Encounter/{visit_no}"
        return [map_charge_item(r) for r in self.fhir.search("ChargeItem", params, operation="list_fees")[0]]


class FhirLisAdapter:
    """LisPort over FHIR R4: DiagnosticReport?category=LAB with its Observations included."""

    port_name = "lis"

    def __init__(self, **kwargs):
        self.fhir = FhirClient(self.port_name, **kwargs)

    def list_reports(self, reg_no: str, *, visit_no: str | None = None) -> list[LabReport]:
        params = {"subject": f"Patient/{reg_no}", "category": "LAB", "_include": "DiagnosticReport:result"}
        if visit_no:
            params["encounter"] = f"Encounter/{visit_no}"
        reports, included = self.fhir.search("DiagnosticReport", params, operation="list_lab_reports")
        observations = included.get("Observation", {})
        return [map_lab_report(r, observations) for r in reports if _category(r) == "LAB"]


class FhirPacsAdapter(FhirImagingMixin):
    """PacsPort over FHIR R4: DiagnosticReport?category=RAD (imaging, ultrasound) or EC (ECG)."""

    port_name = "pacs"

    def __init__(self, **kwargs):
        self.fhir = FhirClient(self.port_name, **kwargs)

    def list_reports(self, reg_no: str, *, kind: str | None = None, visit_no: str | None = None) -> list[ExamReport]:
        categories = {"exam": ["RAD"], "ecg": ["EC"], None: ["RAD", "EC"]}[kind]
        out = []
        for category in categories:
            params = {"subject": f"Patient/{reg_no}", "category": category}
            if visit_no:
                params["encounter"] = f"Encounter/{visit_no}"
            reports, _ = self.fhir.search("DiagnosticReport", params, operation=f"list_{category.lower()}_reports")
            out += [map_exam_report(r) for r in reports if _category(r) == category]
        return out
