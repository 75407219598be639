"""HIS ADT over FHIR (admission A01, transfer A02, discharge A03 as Encounter writes): mixed into FhirHisAdapter.

- A01 `admit`: a conditional create (`POST Encounter` with `If-None-Exist: identifier=<case system>|<case no>`
  and an Idempotency-Key): the HIS keeps our case number on the encounter, so a repeat — a retry whose answer
  was lost, a second click — returns the same stay instead of opening another one.
- A02 `transfer` and A03 `discharge`: read the encounter, change it, `PUT` it back with `If-Match` on the version
  read (a concurrent HIS-side change is never overwritten). On 412 the encounter is re-read: if it already holds
  what we asked for (our own earlier attempt), that is the answer; else the change is applied once more.
  Transfer keeps the SAME encounter (class SS → IMP, `classHistory` and the location history show the
  day-surgery part), so the link between the day-surgery stay and the inpatient stay lives in the HIS as well.

Mapping functions are pure (resource dict ↔ DTO) and tested on payloads and against the simulator.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from core.errors import ExternalServiceError
from integrations.ports.his import AdtAdmission, AdtDischarge, AdtReceipt, AdtTransfer

_SID = "https://fhir.hospital.example/sid/"
ADT_SYSTEMS = {
    "day_surgery_case": _SID + "day-surgery-case",  # our case number on the HIS encounter
    "ward": _SID + "ward",
    "bed": _SID + "bed",
    "encounter_type": "https://fhir.hospital.example/CodeSystem/encounter-type",
    # 离院方式 (WS 364.3 CV06.00.226). A hospital maps its own URI through INTEGRATION_FHIR_SYSTEMS.
    "discharge_disposition": "https://fhir.hospital.example/CodeSystem/CV06.00.226",
    "act_code": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "transfer_reason": "https://fhir.hospital.example/StructureDefinition/transfer-reason",
}
DAY_SURGERY_CLASS = "SS"  # v3 ActCode "short stay": the day-surgery stay
INPATIENT_CLASS = "IMP"  # v3 ActCode "inpatient encounter"
_CLASS_NAMES = {DAY_SURGERY_CLASS: "day_surgery", INPATIENT_CLASS: "inpatient"}


def adt_systems() -> dict:
    from integrations.adapters.fhir import systems  # fhir.py imports this module: resolved at call time

    return {**ADT_SYSTEMS, **systems()}


def _iso(value: datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value).isoformat(timespec="seconds")


def _parse(value: str | None) -> datetime | None:
    from integrations.adapters.fhir import _datetime

    return _datetime(value)


def _identifier(resource: dict, system: str) -> str:
    """The current value of an identifier system (one marked `use: old` is a previous number, kept for the link)."""
    values = [i for i in resource.get("identifier", []) if i.get("system") == system and i.get("value")]
    current = [i for i in values if i.get("use") != "old"] or values
    return current[0]["value"] if current else ""


def _location(ward_code: str, ward_name: str, bed_no: str, at: datetime, sys: dict) -> list[dict]:
    ward = {"location": {"identifier": {"system": sys["ward"], "value": ward_code}, "display": ward_name},
            "status": "active", "physicalType": {"coding": [{"code": "wa", "display": "Ward"}]},
            "period": {"start": _iso(at)}}
    out = [ward]
    if bed_no:
        out.append({"location": {"identifier": {"system": sys["bed"], "value": bed_no}, "display": bed_no},
                    "status": "active", "physicalType": {"coding": [{"code": "bd", "display": "Bed"}]},
                    "period": {"start": _iso(at)}})
    return out


# --- mappers ----------------------------------------------------------------------------------------------------
def admission_resource(admission: AdtAdmission) -> dict:
    sys = adt_systems()
    resource = {
        "resourceType": "Encounter",
        "identifier": [{"system": sys["day_surgery_case"], "value": admission.case_no}],
        "status": "in-progress",
        "class": {"system": sys["act_code"], "code": DAY_SURGERY_CLASS, "display": "short stay"},
        "type": [{"coding": [{"system": sys["encounter_type"], "code": "day-surgery", "display": "日间手术"}]}],
        "subject": {"reference": f"Patient/{admission.reg_no}"},
        "period": {"start": _iso(admission.admitted_at)},
        "hospitalization": {"admitSource": {"text": "日间手术入院"}},
        "location": _location(admission.ward_code, admission.ward_name, admission.bed_no, admission.admitted_at, sys),
        "serviceProvider": {"identifier": {"system": sys["department"], "value": admission.department_code}},
    }
    if admission.attending_employee_no:
        resource["participant"] = [{
            "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                  "code": "ATND"}]}],
            "individual": {"identifier": {"system": sys["employee_no"], "value": admission.attending_employee_no}},
        }]
    if admission.diagnosis_code or admission.diagnosis_name:
        resource["reasonCode"] = [{"coding": [{"system": sys["icd10"], "code": admission.diagnosis_code,
                                               "display": admission.diagnosis_name}],
                                   "text": admission.diagnosis_name}]
    if admission.procedure_code or admission.procedure_name:
        resource["type"].append({"coding": [{"system": sys["icd9cm"], "code": admission.procedure_code,
                                             "display": admission.procedure_name}]})
    return resource


def _active_location(resource: dict, system: str) -> str:
    for entry in resource.get("location", []):
        ident = (entry.get("location") or {}).get("identifier") or {}
        if entry.get("status", "active") == "active" and ident.get("system") == system:
            return ident.get("value", "")
    return ""


def map_adt_encounter(resource: dict) -> AdtReceipt:
    sys = adt_systems()
    klass = (resource.get("class") or {}).get("code", "")
    period = resource.get("period") or {}
    return AdtReceipt(
        encounter_id=resource.get("id", ""),
        admission_no=_identifier(resource, sys["inpatient_no"]),
        visit_no=_identifier(resource, sys["visit_no"]),
        status=resource.get("status", ""),
        patient_class=_CLASS_NAMES.get(klass, klass),
        ward_code=_active_location(resource, sys["ward"]),
        bed_no=_active_location(resource, sys["bed"]),
        admitted_at=_parse(period.get("start")),
        discharged_at=_parse(period.get("end")),
        version=str((resource.get("meta") or {}).get("versionId") or ""),
    )


def _close_locations(resource: dict, at: str) -> None:
    for entry in resource.get("location", []):
        if entry.get("status", "active") == "active":
            entry["status"] = "completed"
            entry.setdefault("period", {})["end"] = at


def apply_transfer(resource: dict, transfer: AdtTransfer) -> dict:
    """The encounter after A02: class SS → IMP (history kept), the day-surgery ward closed, the target ward open."""
    sys = adt_systems()
    out = dict(resource)
    at = _iso(transfer.transferred_at)
    previous = out.get("class") or {}
    history = list(out.get("classHistory") or [])
    if previous.get("code") != INPATIENT_CLASS:
        history.append({"class": previous, "period": {"start": (out.get("period") or {}).get("start"), "end": at}})
    out["classHistory"] = history
    out["class"] = {"system": sys["act_code"], "code": INPATIENT_CLASS, "display": "inpatient encounter"}
    out["location"] = [dict(entry) for entry in out.get("location", [])]
    _close_locations(out, at)
    out["location"] += _location(transfer.target_ward_code, transfer.target_ward_name, transfer.bed_no,
                                 transfer.transferred_at, sys)
    if transfer.target_department_code:
        out["serviceProvider"] = {"identifier": {"system": sys["department"],
                                                 "value": transfer.target_department_code}}
    extensions = [e for e in out.get("extension", []) if e.get("url") != sys["transfer_reason"]]
    if transfer.reason:
        extensions.append({"url": sys["transfer_reason"], "valueString": transfer.reason})
    out["extension"] = extensions
    return out


def apply_discharge(resource: dict, discharge: AdtDischarge) -> dict:
    """The encounter after A03: finished, period.end, 离院方式, locations completed."""
    sys = adt_systems()
    out = dict(resource)
    at = _iso(discharge.discharged_at)
    out["status"] = "finished"
    out["period"] = {**(out.get("period") or {}), "end": at}
    hospitalization = dict(out.get("hospitalization") or {})
    hospitalization["dischargeDisposition"] = {
        "coding": [{"system": sys["discharge_disposition"], "code": discharge.disposition_code,
                    "display": discharge.disposition_name}],
        "text": discharge.disposition_name,
    }
    out["hospitalization"] = hospitalization
    out["location"] = [dict(entry) for entry in out.get("location", [])]
    _close_locations(out, at)
    return out


def _transfer_done(resource: dict, transfer: AdtTransfer) -> bool:
    sys = adt_systems()
    return ((resource.get("class") or {}).get("code") == INPATIENT_CLASS
            and _active_location(resource, sys["ward"]) == transfer.target_ward_code)


def _discharge_done(resource: dict, discharge: AdtDischarge) -> bool:
    disposition = ((resource.get("hospitalization") or {}).get("dischargeDisposition") or {}).get("coding") or [{}]
    return resource.get("status") == "finished" and disposition[0].get("code") == discharge.disposition_code


class FhirAdtMixin:
    """ADT methods of the HIS port; `self.fhir` is the adapter's FhirClient."""

    def _headers(self, **extra) -> dict:
        from integrations.adapters.fhir import FHIR_JSON

        return {"Content-Type": FHIR_JSON, **extra}

    def _read_encounter(self, encounter_id: str, *, operation: str) -> dict | None:
        response = self.fhir.http.get(f"/Encounter/{encounter_id}", operation=operation, accept=(404, 410))
        if response.status_code in (404, 410):
            return None
        return response.json()

    def get_encounter(self, encounter_id: str) -> AdtReceipt | None:
        resource = self._read_encounter(encounter_id, operation="adt_get_encounter")
        return map_adt_encounter(resource) if resource else None

    def admit(self, admission: AdtAdmission, *, idempotency_key: str) -> AdtReceipt:
        sys = adt_systems()
        body = self.fhir.http.post(
            "/Encounter", json=admission_resource(admission), operation="adt_admit",
            idempotency_key=idempotency_key,
            headers=self._headers(**{"If-None-Exist": f"identifier={sys['day_surgery_case']}|{admission.case_no}"}),
            summary={"case_no": admission.case_no, "ward": admission.ward_code},
        ).json()
        return map_adt_encounter(body)

    def _update(self, encounter_id: str, change, done, *, operation: str, idempotency_key: str,
                summary: dict) -> AdtReceipt:
        """Read → change → PUT with If-Match; on a version conflict re-read once (see the module docstring)."""
        for _attempt in range(2):
            current = self._read_encounter(encounter_id, operation=f"{operation}_read")
            if current is None:
                raise ExternalServiceError(code="external_rejected",
                                           extra={"port": "his", "operation": operation, "http_status": 404})
            if done(current):
                return map_adt_encounter(current)  # our earlier attempt already reached the HIS
            version = str((current.get("meta") or {}).get("versionId") or "")
            headers = self._headers(**({"If-Match": f'W/"{version}"'} if version else {}))
            response = self.fhir.http.request(
                "PUT", f"/Encounter/{encounter_id}", json=change(current), operation=operation,
                idempotency_key=idempotency_key, headers=headers, accept=(409, 412), summary=summary,
            )
            if response.status_code not in (409, 412):
                return map_adt_encounter(response.json())
        raise ExternalServiceError(code="external_rejected",
                                   extra={"port": "his", "operation": operation, "http_status": 412})

    def transfer(self, transfer: AdtTransfer, *, idempotency_key: str) -> AdtReceipt:
        return self._update(
            transfer.encounter_id, lambda r: apply_transfer(r, transfer), lambda r: _transfer_done(r, transfer),
            operation="adt_transfer", idempotency_key=idempotency_key,
            summary={"encounter": transfer.encounter_id, "ward": transfer.target_ward_code},
        )

    def discharge(self, discharge: AdtDischarge, *, idempotency_key: str) -> AdtReceipt:
        return self._update(
            discharge.encounter_id, lambda r: apply_discharge(r, discharge), lambda r: _discharge_done(r, discharge),
            operation="adt_discharge", idempotency_key=idempotency_key,
            summary={"encounter": discharge.encounter_id, "disposition": discharge.disposition_code},
        )
