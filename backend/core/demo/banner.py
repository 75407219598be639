"""What `rundemo` prints once everything is up: URLs, demo logins and how to log in."""

import json
import os

from core.demo.runner import http_post_json
from core.demo.seed import SUPERUSER_PHONE, demo_logins, demo_password

ROLE_LABELS = {
    "doctor": "surgeon 医生",
    "nurse": "nurse 护士",
    "anaesthetist": "anaesthetist 麻醉医生",
    "followup_nurse": "follow-up nurse 随访护士",
    "hospital_admin": "hospital admin 医院管理员",
    "quality_manager": "quality manager 质控",
}


def _pad(text, width):
    """Left-align for a terminal: CJK characters take two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - used)


def _example_ticket(runner, phone):
    """A WebSocket URL with a fresh ticket, obtained the way clients do (POST /api/v1/realtime/tickets/)."""
    try:
        from accounts.models import User

        user = User.objects.get(phone=phone)
        from accounts.tokens import issue_staff_tokens

        access = issue_staff_tokens(user, amr=("otp",))["access"]
        status, body = http_post_json(
            runner.base_url + "/api/v1/realtime/tickets/", headers={"Authorization": f"Bearer {access}"}
        )
        return body.get("url"), body.get("expires_in")
    except Exception:
        return None, None


def banner_lines(runner):
    base, sim = runner.base_url, runner.sim_url
    ws_base = base.replace("http://", "ws://", 1)
    logins = demo_logins()
    lines = [
        "",
        "=" * 100,
        f"日间手术管理平台 demo is running (started in {runner.startup_seconds:.1f}s). Ctrl-C stops everything.",
        "=" * 100,
        f"API root        {base}/api/v1/",
        f"Swagger UI      {base}/api/docs/",
        f"OpenAPI schema  {base}/api/schema/",
        f"Django admin    {base}/admin/   (superuser: phone {SUPERUSER_PHONE}, password {demo_password()}, "
        "then the SMS code from the recorder below)",
        f"WebSocket       {ws_base}/ws/events/?ticket=<ticket>   (ticket: POST {base}/api/v1/realtime/tickets/ "
        "with a staff or patient Bearer token; single-use, short-lived)",
    ]
    if logins:
        url, ttl = _example_ticket(runner, logins[0][2])
        if url:
            lines.append(f"                e.g. {url}   (for {logins[0][1]}, valid {ttl}s)")
    if runner.sim_running:
        lines += [
            f"Simulator       {sim}/   (health {sim}/_sim/health)",
            f"  SMS sent      {sim}/_sim/sms?phone=<phone>   ← read your login code here",
            f"  also          {sim}/_sim/patients  {sim}/_sim/staff  {sim}/_sim/wechat/messages  {sim}/_sim/theatre",
        ]
    else:
        lines.append("Simulator       not running (hospital_sim missing); SMS codes are not readable")
    lines.append(f"Logs            {runner.log_dir}/")
    mode = "Celery worker + beat on REDIS_URL" if os.environ.get("REDIS_URL") else "tasks run eagerly (no REDIS_URL)"
    lines.append(f"Background      {mode}")
    lines += ["", "Demo logins (staff log in with phone + SMS code):"]
    for role, name, phone, password in logins:
        extra = f"   password {password} (admin web: password + SMS code)" if password else ""
        lines.append(f"  {_pad(ROLE_LABELS.get(role, role), 30)}{_pad(name, 8)}{phone}{extra}")
    lines += ["", *login_howto(runner, logins), *workstation_example(runner), "=" * 100, ""]
    return lines


def _post(base, path, body):
    return f"curl -s -X POST {base}{path} -H 'Content-Type: application/json' -d '{json.dumps(body, ensure_ascii=False)}'"


def login_howto(runner, logins):
    from core.demo.auth_endpoints import endpoints

    base, sim = runner.base_url, runner.sim_url
    ep = endpoints()
    phone = logins[0][2] if logins else "<phone>"
    if ep is None:
        return ["How to log in: the login endpoints are not available in this build."]
    lines = [
        "How to log in (staff, e.g. the surgeon above):",
        f"  1. request a code:  {_post(base, ep['otp'], {'phone': phone})}",
        f"  2. read the code:   curl -s '{sim}/_sim/sms?phone={phone}'   (newest message, params.code; valid 5 min)",
        f"  3. log in:          {_post(base, ep['login'], {'phone': phone, 'code': '<code>'})}   → access + refresh",
        f"  4. call the API:    curl -s -H 'Authorization: Bearer <access>' {base}/api/v1/procedures/",
    ]
    admin = next((row for row in logins if row[0] == "hospital_admin"), None)
    if admin and ep.get("admin_otp") and ep.get("admin_login"):
        lines += [
            "Admin web (password + SMS code):",
            f"  {_post(base, ep['admin_otp'], {'phone': admin[2], 'password': admin[3]})}",
            f"  then {_post(base, ep['admin_login'], {'phone': admin[2], 'password': admin[3], 'code': '<code>'})}",
        ]
    lines += _registration_example(base, ep)
    lines += _patient_example(base, ep)
    return lines


def _registration_example(base, ep):
    """A roster member the seed left unregistered: try real-name registration (matched against the HIS roster)."""
    if not ep.get("register"):
        return []
    try:
        from accounts.models import User
        from integrations.registry import get_port

        roster = get_port("his").list_staff()
        registered = set(User.objects.exclude(phone=None).values_list("phone", flat=True))
        member = next((m for m in roster if m.phone not in registered), None)
    except Exception:
        return []
    if member is None:
        return []
    return [
        f"Staff real-name registration (roster member {member.name}, not yet registered):",
        f"  {_post(base, ep['otp'], {'phone': member.phone, 'purpose': 'register'})}",
        f"  then {_post(base, ep['register'], {'name': member.name, 'id_number': member.id_number, 'phone': member.phone, 'code': '<code>'})}",
    ]


def _patient_example(base, ep):
    """A seeded patient with a scheduled operation: log in as the patient and bind to the hospital record."""
    if not (ep.get("patient_otp") and ep.get("patient_login") and ep.get("patient_bind")):
        return []
    try:
        from cases.models import IdentifierSystem, SurgicalCase

        case = (
            SurgicalCase.objects.filter(state="scheduled").select_related("patient").prefetch_related("patient__identifiers")
            .order_by("planned_date", "id").first()
        )
        if case is None or not case.patient.phone:
            return []
        p = case.patient
        id_number = p.identifier(IdentifierSystem.ID_CARD)
    except Exception:
        return []
    return [
        f"Patient (WeChat mini-program or phone; {p.name}, {case.procedure_name} on {case.planned_date}):",
        f"  {_post(base, ep['patient_otp'], {'phone': p.phone})}  → code in the simulator's SMS",
        f"  {_post(base, ep['patient_login'], {'phone': p.phone, 'code': '<code>'})}",
        f"  then bind the record (Bearer token): {_post(base, ep['patient_bind'], {'name': p.name, 'id_number': id_number, 'phone': p.phone})}",
    ]


def _workstation_pick():
    """(patient, visit, doctor) for the workstation example: a seeded patient (preferably still without a case)
    whose latest outpatient visit (read from the HIS) was with a demo doctor who may create cases and whose own
    ward admits procedures, so the launch makes a draft there. None if the demo has no such pair."""
    from accounts.models import User
    from accounts.permissions import has_permission
    from booking.services import default_ward
    from cases import permissions as case_perms
    from cases.models import Patient
    from catalog.models import ProcedureWard
    from integrations.registry import get_port

    his = get_port("his")
    doctors = {}

    def eligible(employee_no):
        if employee_no not in doctors:
            doctor = User.objects.filter(employee_no=employee_no, is_active=True, is_virtual=False).first()
            ok = doctor is not None and has_permission(doctor, case_perms.CREATE_CASE.slug)
            ward = default_ward(doctor) if ok else None
            doctors[employee_no] = doctor if ward and ProcedureWard.objects.filter(ward=ward).exists() else None
        return doctors[employee_no]

    patients = Patient.objects.prefetch_related("identifiers").order_by("id")
    candidates = [*patients.filter(cases__isnull=True)[:30], *patients.filter(cases__isnull=False).distinct()[:30]]
    for patient in candidates:
        visits = [v for v in his.list_visits(patient.reg_no) if v.kind == "outpatient"] if patient.reg_no else []
        if not visits:
            continue
        visit = max(visits, key=lambda v: v.started_at)
        doctor = eligible(visit.doctor_employee_no)
        if doctor is not None:
            return patient, visit, doctor
    return None


def workstation_example(runner):
    """B1 in the demo: the simulator plays the HIS outpatient doctor workstation and opens a booking (signed)."""
    if not runner.sim_running:
        return []
    sim, base = runner.sim_url, runner.base_url
    title = "HIS doctor workstation (B1) — the simulator plays the HIS and opens a booking on this platform:"
    if not getattr(runner, "his_client_id", None):
        return [title, f"  off: {getattr(runner, 'his_client_note', '') or 'no HIS client configured'}"]
    try:
        picked = _workstation_pick()
    except Exception:
        picked = None
    if picked is None:
        return [title, "  (no demo patient with an outpatient visit of a demo doctor found)"]
    patient, visit, doctor = picked
    from booking.conf import conf

    body = {"reg_no": patient.reg_no, "doctor_employee_no": doctor.employee_no}
    return [
        title,
        f"  {_post(sim, '/_sim/workstation/book-day-surgery', body)}",
        f"  ({patient.name} 登记号 {patient.reg_no}, latest outpatient visit 就诊号 {visit.visit_no} (the default "
        f"when visit_no is left out), doctor {doctor.name} 工号 {doctor.employee_no})",
        f"  → the simulator signs POST {base}/api/v1/his-launches/ as client {runner.his_client_id} (HMAC-SHA256) and "
        "returns the platform's answer: 201 with the pre-filled draft and \"link\", the doctor's single-use "
        "sign-in link",
        f"    (open it by redeeming its ticket: {_post(base, '/api/v1/launch-tickets/redeem/', {'ticket': '<ticket>'})}"
        f"   → access + refresh + draft; valid {conf('BOOKING_LAUNCH_TICKET_SECONDS')}s)",
    ]
