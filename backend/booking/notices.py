"""What a confirmed booking says to the HIS (admission certificate, B8) and to the patient (notice, B9, U4)."""

from booking.conf import conf
from integrations.ports.his import AdmissionCertificate

WECHAT_THING_MAX = 20  # WeChat subscribe-message "thing" values hold at most 20 characters


def planned_time(case) -> str:
    session = case.get_planned_session_display() if case.planned_session else ""
    return f"{case.planned_date:%Y-%m-%d} {session}".strip()


def certificate_no(case, sequence) -> str:
    """Our certificate number: one per booking event of the case (a resumed, re-confirmed case gets a new one)."""
    return f"DS{case.uuid.hex[:16].upper()}-{sequence}"


def admission_certificate(case, *, sequence) -> AdmissionCertificate:
    notice = case.procedure.notice_text if case.procedure_id else ""
    note = "\n".join(part for part in (f"计划时间：{planned_time(case)}", notice) if part)
    return AdmissionCertificate(
        certificate_no=certificate_no(case, sequence),
        reg_no=case.patient.reg_no,
        department_code=case.department.code,
        doctor_employee_no=case.surgeon.employee_no,
        planned_admission_date=case.planned_date,
        diagnosis_code=case.diagnosis_code,
        diagnosis_name=case.diagnosis_name,
        procedure_code=case.procedure_code,
        procedure_name=case.procedure_name,
        ward_code=case.ward.code,
        note=note,
    )


def entry_links(case) -> tuple[str, str]:
    """(mini-program page, H5 URL) of the case in the patient app."""
    return (conf("BOOKING_PATIENT_APP_PAGE").format(case=case.uuid),
            conf("BOOKING_PATIENT_H5_URL").format(case=case.uuid))


def _thing(text) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= WECHAT_THING_MAX else text[: WECHAT_THING_MAX - 1] + "…"


def notice_wechat(case) -> tuple[str, dict, str]:
    """(template id, data, page) of the subscribe message."""
    page, _h5 = entry_links(case)
    place = case.ward.guidance_text or case.ward.location or case.ward.name
    data = {
        "thing1": {"value": _thing(case.procedure_name)},
        "time2": {"value": planned_time(case)},
        "thing3": {"value": _thing(case.ward.name)},
        "thing4": {"value": _thing(place)},
    }
    return conf("BOOKING_WECHAT_TEMPLATE_ID"), data, page


def notice_sms(case) -> tuple[str, dict]:
    """(template, params) of the SMS; the template carries the guidance (导诊) text of the ward and the H5 entry."""
    _page, h5 = entry_links(case)
    return conf("BOOKING_SMS_TEMPLATE"), {
        "name": case.patient.name,
        "procedure": case.procedure_name,
        "time": planned_time(case),
        "ward": case.ward.name,
        "guidance": case.ward.guidance_text,
        "link": h5,
    }
