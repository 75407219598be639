"""FHIR R4 JSON views of the synthetic hospital (the shape a hospital integration platform would serve).

Identifier systems and code systems are the ones `integrations.adapters.fhir` reads by default; a real
deployment maps its own systems through settings (INTEGRATION_FHIR_SYSTEMS).
"""

from __future__ import annotations

import base64

from . import data

SID = "https://fhir.hospital.example/sid/"
SYSTEMS = {
    "reg_no": SID + "reg-no",  # 登记号
    "outpatient_no": "urn:oid:2.16.156.10011.1.11",  # 门(急)诊号 (WS/T 500 OID)
    "inpatient_no": "urn:oid:2.16.156.10011.1.12",  # 住院号
    "id_card": "urn:oid:2.16.156.10011.1.3",  # 身份证号
    "visit_no": SID + "visit-no",
    "employee_no": SID + "employee-no",
    "department": SID + "department",
    "lab_report_no": "urn:oid:2.16.156.10011.1.33",
    "exam_report_no": SID + "exam-report-no",
    "certificate_no": SID + "admission-certificate-no",
    "role": "https://fhir.hospital.example/CodeSystem/staff-role",
    "panel": "https://fhir.hospital.example/CodeSystem/lab-panel",
    "exam": "https://fhir.hospital.example/CodeSystem/exam-item",
    "fee": "https://fhir.hospital.example/CodeSystem/fee-item",
    "fee_category": "https://fhir.hospital.example/StructureDefinition/fee-category",
    "procedures": "https://fhir.hospital.example/CodeSystem/day-surgery-procedures",
    "test_package": SID + "day-surgery-test-package",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "icd9cm": "http://hl7.org/fhir/sid/icd-9-cm",
    "loinc": "http://loinc.org",
    "interpretation": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
    "report_category": "http://terminology.hl7.org/CodeSystem/v2-0074",
    "act_code": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
}
PROCEDURE_CODESYSTEM_ID = "day-surgery-procedures"
_GENDER = {"M": "male", "F": "female"}


def bundle(entries: list[dict], total: int | None = None, included: list[dict] = ()) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(entries) if total is None else total,
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in entries]
        + [{"resource": r, "search": {"mode": "include"}} for r in included],
    }


def outcome(code: str, message: str) -> dict:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": message}]}


def _iso(dt) -> str:
    return dt.isoformat(timespec="seconds")


def _dept(code: str) -> dict:
    return {"identifier": {"system": SYSTEMS["department"], "value": code}, "display": data.DEPARTMENTS.get(code, "")}


def patient(p: data.Patient) -> dict:
    return {
        "resourceType": "Patient",
        "id": p.reg_no,
        "identifier": [
            {"use": "usual", "system": SYSTEMS["reg_no"], "value": p.reg_no},
            {"system": SYSTEMS["outpatient_no"], "value": p.outpatient_no},
            {"use": "official", "system": SYSTEMS["id_card"], "value": p.id_number},
        ],
        "active": True,
        "name": [{"use": "official", "text": p.name, "family": p.name[0], "given": [p.name[1:]]}],
        "telecom": [{"system": "phone", "value": p.phone, "use": "mobile"}],
        "gender": _GENDER[p.sex],
        "birthDate": p.birth_date.isoformat(),
        "address": [{"text": p.address}],
    }


def condition(v: data.Visit, n: int, code: str, name: str) -> dict:
    return {
        "resourceType": "Condition",
        "id": f"{v.visit_no}-{n}",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": SYSTEMS["icd10"], "code": code, "display": name}], "text": name},
        "subject": {"reference": f"Patient/{v.reg_no}"},
        "encounter": {"reference": f"Encounter/{v.visit_no}"},
        "recordedDate": _iso(v.started_at),
    }


def encounter(v: data.Visit) -> dict:
    return {
        "resourceType": "Encounter",
        "id": v.visit_no,
        "identifier": [{"system": SYSTEMS["visit_no"], "value": v.visit_no}],
        "status": "finished",
        "class": {"system": SYSTEMS["act_code"], "code": "AMB" if v.kind == "outpatient" else "IMP"},
        "subject": {"reference": f"Patient/{v.reg_no}"},
        "participant": [{"individual": {"reference": f"Practitioner/{v.doctor_employee_no}",
                                        "identifier": {"system": SYSTEMS["employee_no"],
                                                       "value": v.doctor_employee_no}}}],
        "period": {"start": _iso(v.started_at)},
        "serviceProvider": _dept(v.department_code),
        "diagnosis": [{"condition": {"reference": f"Condition/{v.visit_no}-{n}"}, "rank": n}
                      for n, _ in enumerate(v.diagnoses, start=1)],
    }


def visit_conditions(v: data.Visit) -> list[dict]:
    return [condition(v, n, code, name) for n, (code, name) in enumerate(v.diagnoses, start=1)]


def practitioner(s: data.Staff) -> dict:
    return {
        "resourceType": "Practitioner",
        "id": s.employee_no,
        "identifier": [{"system": SYSTEMS["employee_no"], "value": s.employee_no},
                       {"system": SYSTEMS["id_card"], "value": s.id_number}],
        "active": True,
        "name": [{"text": s.name}],
        "telecom": [{"system": "phone", "value": s.phone, "use": "mobile"}],
        "gender": _GENDER[s.sex],
        "qualification": [{"code": {"text": s.title}}],
    }


def practitioner_role(s: data.Staff) -> dict:
    return {
        "resourceType": "PractitionerRole",
        "id": f"role-{s.employee_no}",
        "active": True,
        "practitioner": {"reference": f"Practitioner/{s.employee_no}"},
        "organization": _dept(s.department_code),
        "code": [{"coding": [{"system": SYSTEMS["role"], "code": s.role}]}],
    }


def _concept(p: data.CatalogueEntry) -> dict:
    props = [
        {"code": "icd9cm", "valueCode": p.code},
        {"code": "grade", "valueInteger": p.grade},
        {"code": "incision-class", "valueString": p.incision_class},
        {"code": "department", "valueCode": p.department_code},
    ]
    if p.body_site:
        props.append({"code": "body-site", "valueString": p.body_site})
    if p.duration_minutes:
        props.append({"code": "duration", "valueInteger": p.duration_minutes})
    props += [{"code": "anaesthesia", "valueString": a} for a in p.anaesthesia]  # repeated: one per method
    return {"code": p.code, "display": p.name, "property": props}


def procedure_codesystem(procedures, *, version: str = "", last_updated=None) -> dict:
    resource = {
        "resourceType": "CodeSystem",
        "id": PROCEDURE_CODESYSTEM_ID,
        "url": SYSTEMS["procedures"],
        "name": "DaySurgeryProcedures",
        "title": "日间手术目录",
        "status": "active",
        "content": "complete",
        "property": [
            {"code": "icd9cm", "type": "code", "description": "ICD-9-CM-3 code"},
            {"code": "grade", "type": "integer", "description": "手术级别 1–4"},
            {"code": "incision-class", "type": "string", "description": "切口类别 0/I/II/III"},
            {"code": "department", "type": "code", "description": "Department code"},
            {"code": "body-site", "type": "string", "description": "手术部位"},
            {"code": "duration", "type": "integer", "description": "常规手术时长（分钟）"},
            {"code": "anaesthesia", "type": "string", "description": "常用麻醉方式（可重复）"},
        ],
        "concept": [_concept(p) for p in procedures],
    }
    if version:
        resource["version"] = version
    if last_updated is not None:
        resource["meta"] = {"versionId": version, "lastUpdated": _iso(last_updated)}
    return resource


def _quantity(value, unit):
    q = {"value": value}
    if unit:
        q["unit"] = unit
    return q


def observation(report: data.LabReport, n: int, item: dict) -> dict:
    """A lab item: a quantity with a numeric range, or a text result (阴性) with a text range; the interpretation
    only when the LIS gives one (flag "" = none sent)."""
    if item.get("text"):
        value = {"valueString": item["value"]}
        ref = {"text": item.get("ref_text", "")}
    else:
        value = {"valueQuantity": _quantity(item["value"], item["unit"])}
        ref = {"text": f"{item['low']:g}-{item['high']:g}", "low": _quantity(item["low"], item["unit"]),
               "high": _quantity(item["high"], item["unit"])}
    resource = {
        "resourceType": "Observation",
        "id": f"{report.report_no}-{n}",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": SYSTEMS["loinc"], "code": item["code"], "display": item["name"]}],
                 "text": item["name"]},
        "subject": {"reference": f"Patient/{report.reg_no}"},
        "encounter": {"reference": f"Encounter/{report.visit_no}"},
        "issued": _iso(report.issued_at),
        **value,
        "referenceRange": [ref],
    }
    if item["flag"]:
        resource["interpretation"] = [{"coding": [{"system": SYSTEMS["interpretation"], "code": item["flag"]}]}]
    return resource


def lab_report(report: data.LabReport) -> tuple[dict, list[dict]]:
    observations = [observation(report, n, item) for n, item in enumerate(report.items, start=1)]
    return {
        "resourceType": "DiagnosticReport",
        "id": report.report_no,
        "identifier": [{"system": SYSTEMS["lab_report_no"], "value": report.report_no}],
        "status": "final",
        "category": [{"coding": [{"system": SYSTEMS["report_category"], "code": "LAB"}]}],
        "code": {"coding": [{"system": SYSTEMS["panel"], "code": report.panel, "display": report.name}],
                 "text": report.name},
        "subject": {"reference": f"Patient/{report.reg_no}"},
        "encounter": {"reference": f"Encounter/{report.visit_no}"},
        "issued": _iso(report.issued_at),
        "result": [{"reference": f"Observation/{o['id']}"} for o in observations],
    }, observations


def exam_report(report: data.ExamReport) -> dict:
    category = "EC" if report.kind == "ECG" else "RAD"
    return {
        "resourceType": "DiagnosticReport",
        "id": report.report_no,
        "identifier": [{"system": SYSTEMS["exam_report_no"], "value": report.report_no}],
        "status": "final",
        "category": [{"coding": [{"system": SYSTEMS["report_category"], "code": category}]}],
        "code": {"coding": [{"system": SYSTEMS["exam"], "code": report.code, "display": report.name}],
                 "text": report.name},
        "subject": {"reference": f"Patient/{report.reg_no}"},
        "encounter": {"reference": f"Encounter/{report.visit_no}"},
        "issued": _iso(report.issued_at),
        "conclusion": report.conclusion,
        "conclusionCode": [{"coding": [{"system": SYSTEMS["interpretation"],
                                        "code": "A" if report.abnormal else "N"}]}],
        "presentedForm": [{"contentType": "text/plain; charset=utf-8", "title": report.body_site,
                           "data": base64.b64encode(report.findings.encode()).decode()}],
    }


def charge_item(fee: data.Fee) -> dict:
    return {
        "resourceType": "ChargeItem",
        "id": fee.fee_no,
        "identifier": [{"system": SID + "fee-no", "value": fee.fee_no}],
        "status": "billable",
        "code": {"coding": [{"system": SYSTEMS["fee"], "code": fee.code, "display": fee.name}], "text": fee.name},
        "subject": {"reference": f"Patient/{fee.reg_no}"},
        "context": {"reference": f"Encounter/{fee.visit_no}"},
        "occurrenceDateTime": _iso(fee.occurred_at),
        "quantity": {"value": fee.quantity},
        "priceOverride": {"value": float(fee.unit_price), "currency": "CNY"},
        "extension": [{"url": SYSTEMS["fee_category"], "valueString": fee.category}],
    }
