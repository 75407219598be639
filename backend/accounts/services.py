"""Writes of the accounts context: logins, real-name registration and binding, user and permission admin.

Refusals that must leave an audit trail (failed logins, unmatched registrations) are audited outside the
refused transaction, so the entry survives the error.
"""

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import otp
from accounts.models import FunctionPermission, OtpPurpose, PatientAccount, Role, RoleSlug, User
from accounts.policies import assert_can_assign_roles, assert_can_grant, assert_can_manage_user
from accounts.tokens import issue_patient_tokens, issue_staff_tokens
from audit.models import AuditAction
from audit.services import audit_record
from core.crypto import blind_index
from core.errors import Conflict, DomainError, ExternalServiceError, InvalidInput, NotAllowed, RateLimited
from core.identity import is_valid_id_number, mask_id_number, mask_phone, normalize_id_number
from org.models import Department, ManagementMode, Ward
from realtime.groups import patient_group, user_group
from realtime.publisher import end_sessions_on_commit

REFUSALS = {
    "account_not_found": _("No enabled staff account uses this phone number."),
    "account_disabled": _("This account is disabled; contact the hospital administrator."),
    "account_virtual": _("A virtual surgeon cannot log in."),
    "invalid_credentials": _("The phone number or password is incorrect."),
    "roster_no_match": _("No member of the hospital staff roster has this ID number."),
    "roster_name_mismatch": _("The name does not match the hospital staff roster."),
    "roster_phone_mismatch": _("The phone number does not match the hospital staff roster."),
    "roster_department_unknown": _("Your department in the staff roster is not set up in this system."),
    "roster_role_unknown": _("Your role in the staff roster has no matching role in this system."),
    "phone_in_use": _("This phone number belongs to another account."),
    "his_no_match": _("No hospital record has this ID number; please register at the hospital first."),
    "his_name_mismatch": _("The name does not match the hospital record."),
    "his_phone_mismatch": _("The phone number does not match the hospital record."),
    "phone_not_verified": _("Verify the phone number with an SMS code."),
    "already_bound": _("This account is already bound to another patient."),
    "wechat_login_failed": _("WeChat login failed; please try again."),
}


def _refuse(code, *, status=400, field=None, cls=DomainError):
    message = REFUSALS[code]
    raise cls(message, code=code, status_code=status, fields={field: [message]} if field else None)


def clean_id_number(value, field="id_number"):
    value = normalize_id_number(value)
    if not is_valid_id_number(value):
        raise InvalidInput(fields={field: [_("Enter a valid 18-digit resident ID number.")]})
    return value


def _same_name(a, b):
    return "".join((a or "").split()) == "".join((b or "").split())


# --- staff login ------------------------------------------------------------------------------------------------


def login_refusal(user):
    """None when `user` may log in, else the refusal code."""
    if user is None:
        return "account_not_found"
    if user.is_virtual:
        return "account_virtual"
    if not user.is_active:
        return "account_disabled"
    return None


def staff_may_receive_code(phone) -> bool:
    return login_refusal(User.objects.filter(phone=otp.clean_phone(phone)).first()) is None


def staff_otp_request(*, phone, purpose=OtpPurpose.STAFF_LOGIN):
    """Send a staff login or registration code. Login codes go only to phones of enabled accounts."""
    deliver = purpose == OtpPurpose.REGISTER or staff_may_receive_code(phone)
    return otp.otp_request(phone=phone, purpose=purpose, deliver=deliver)


def _staff_login_refused(user, phone, code, amr):
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, target=user, target_type="accounts.user",
                 target_repr=mask_phone(phone), success=False, detail=f"staff:{'+'.join(amr)}:{code}")
    _refuse(code, status=403)


def _complete_staff_login(user, amr):
    now = timezone.now()
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(last_login=now, last_activity_at=now)
        user.last_login = user.last_activity_at = now
        audit_record(actor=user, action=AuditAction.LOGIN, target=user, detail=f"staff:{'+'.join(sorted(amr))}")
        tokens = issue_staff_tokens(user, amr=amr)
    return tokens


def staff_login_otp(*, phone, code):
    """Phone + SMS code → tokens (SA1)."""
    phone = otp.clean_phone(phone)
    otp.otp_verify(phone=phone, purpose=OtpPurpose.STAFF_LOGIN, code=code)
    user = User.objects.filter(phone=phone).first()
    refusal = login_refusal(user)
    if refusal:
        _staff_login_refused(user, phone, refusal, ["otp"])
    return user, _complete_staff_login(user, ["otp"])


def _check_password(phone, password, *, purpose):
    phone = otp.clean_phone(phone)
    otp.assert_not_locked(phone, purpose=purpose)
    guess = otp.begin_guess(phone, purpose=purpose)
    user = User.objects.filter(phone=phone).first()
    if user is None:
        make_password(password)  # same work as a real check: timing does not reveal unknown phones
        ok = False
    else:
        ok = user.has_usable_password() and user.check_password(password)
    if ok:
        otp.cancel_guess(phone)
    else:
        locked = otp.register_failure(phone, reason="invalid_credentials", purpose=purpose, counted=guess)
        if locked:
            raise RateLimited(otp.MESSAGES["phone_locked"], code="phone_locked")
        _refuse("invalid_credentials", status=400)
    refusal = login_refusal(user)
    if refusal:
        _staff_login_refused(user, phone, refusal, ["pwd"])
    return phone, user


def staff_login_password(*, phone, password):
    """Phone + password → tokens carrying amr ["pwd"] (not enough for admin endpoints)."""
    phone, user = _check_password(phone, password, purpose="password_login")
    otp.clear_failures(phone)
    return user, _complete_staff_login(user, ["pwd"])


def admin_login_start(*, phone, password):
    """First step of the admin-web login: password right → an SMS code for the second factor."""
    phone, _user = _check_password(phone, password, purpose=OtpPurpose.ADMIN_2FA)
    return otp.otp_request(phone=phone, purpose=OtpPurpose.ADMIN_2FA)


def admin_login_verify(*, phone, password, code):
    """Both factors checked (password, then the SMS code); returns the user. Used by every admin web."""
    phone, user = _check_password(phone, password, purpose=OtpPurpose.ADMIN_2FA)
    otp.otp_verify(phone=phone, purpose=OtpPurpose.ADMIN_2FA, code=code)
    return user


def admin_login(*, phone, password, code):
    """Password + SMS code → tokens carrying amr ["otp", "pwd"] (required by admin endpoints)."""
    user = admin_login_verify(phone=phone, password=password, code=code)
    return user, _complete_staff_login(user, ["otp", "pwd"])


# --- staff real-name registration (SA5) --------------------------------------------------------------------------


def _his():
    from integrations.registry import get_port

    return get_port("his")


def _call_port(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DomainError:
        raise
    except Exception as exc:
        raise ExternalServiceError() from exc


def staff_register(*, name, id_number, phone, code):
    """Name + ID number + phone (+ SMS code) matched against the HIS staff roster → an enabled account."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(fields={"name": [_("This field is required.")]})
    id_number = clean_id_number(id_number)
    phone = otp.clean_phone(phone)
    otp.otp_verify(phone=phone, purpose=OtpPurpose.REGISTER, code=code)

    def refuse(reason, field=None, status=400):
        audit_record(actor=None, action=AuditAction.REGISTER, target_type="accounts.user",
                     target_id=blind_index(id_number), target_repr=f"{name[:1]}* {mask_id_number(id_number)}",
                     success=False, detail=f"staff:{reason}")
        _refuse(reason, field=field, status=status)

    roster = _call_port(_his().list_staff, id_number=id_number)  # by ID only: a wrong phone gets its own reason
    member = next((m for m in roster if normalize_id_number(m.id_number) == id_number), None)
    if member is None:
        refuse("roster_no_match", "id_number")
    if not _same_name(member.name, name):
        refuse("roster_name_mismatch", "name")
    if otp.normalize_phone(member.phone) != phone:
        refuse("roster_phone_mismatch", "phone")
    department = Department.objects.filter(code=member.department_code, is_active=True).first()
    if department is None:
        refuse("roster_department_unknown")
    if member.role not in RoleSlug.values:
        refuse("roster_role_unknown")

    existing = User.objects.filter(id_number_index=blind_index(id_number)).first()
    by_phone = User.objects.filter(phone=phone).first()
    if by_phone is not None and existing is not None and by_phone.pk != existing.pk:
        refuse("phone_in_use", "phone", status=409)
    if by_phone is not None and existing is None and by_phone.id_number and by_phone.id_number != id_number:
        refuse("phone_in_use", "phone", status=409)
    user = existing or by_phone
    if user is not None and (user.is_virtual or (not user.is_active and user.real_name_verified_at)):
        refuse("account_disabled", status=403)

    with transaction.atomic():
        created = user is None
        before = None if created else user_snapshot(user)
        user = user or User(phone=phone)
        user.phone = phone
        user.name = name
        user.id_number = id_number
        user.employee_no = member.employee_no or user.employee_no
        user.title = member.title or user.title
        user.department = department
        user.is_active = True
        user.real_name_verified_at = timezone.now()
        if created:
            user.set_unusable_password()
        user.save()
        user.roles.add(Role.objects.get(slug=member.role))
        audit_record(actor=user, action=AuditAction.REGISTER, target=user, before=before,
                     after=user_snapshot(user), detail="staff:roster_matched")
    return user, _complete_staff_login(user, ["otp"])


# --- patients (PA1, PA6) -----------------------------------------------------------------------------------------


def _complete_patient_login(account, amr):
    now = timezone.now()
    with transaction.atomic():
        PatientAccount.objects.filter(pk=account.pk).update(last_login_at=now, last_activity_at=now)
        account.last_login_at = account.last_activity_at = now
        audit_record(actor=account, action=AuditAction.LOGIN, target=account, target_repr=account.display_name,
                     detail=f"patient:{'+'.join(sorted(amr))}")
        _announce_patient_login(account, now)
        tokens = issue_patient_tokens(account, amr=amr)
    return tokens


def _announce_patient_login(account, at):
    """A bound patient used the app: their active cases show it (preop's bed-card icon, patient.app.logged_in)."""
    if account.patient_id:
        from core.outbox import outbox_publish

        outbox_publish(topic="accounts.patient_account.logged_in", key=str(account.uuid),
                       payload={"account": str(account.uuid), "occurred_at": at})


def _patient_refused(account, reason, detail):
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, target_type="accounts.patientaccount",
                 target_id=str(account.uuid) if account else "", success=False, detail=f"patient:{detail}:{reason}")
    _refuse(reason, status=403 if reason == "account_disabled" else 400)


def patient_login_wechat(*, code):
    """Mini-program wx.login code → code2Session (WeChat port) → the account of that openid (created once)."""
    from integrations.registry import get_port

    code = (code or "").strip()
    if not code:
        raise InvalidInput(fields={"code": [_("This field is required.")]})
    try:
        session = get_port("wechat").code_to_session(code)
    except DomainError as exc:
        if exc.code not in ("external_rejected", "wechat_code_invalid"):
            audit_record(actor=None, action=AuditAction.LOGIN_FAILED, target_type="accounts.patientaccount",
                         success=False, detail=f"patient:wechat:{exc.code}")
            raise  # WeChat unreachable or busy: a 5xx the client may retry
        session = None  # WeChat refused the code (40029 invalid / used / expired, 40226 blocked): the client's
    except Exception:
        session = None
    openid = getattr(session, "openid", "") or ""
    if not openid:
        _patient_refused(None, "wechat_login_failed", "wechat")
    unionid = getattr(session, "unionid", "") or None
    try:
        with transaction.atomic():
            account, _created = PatientAccount.objects.get_or_create(
                wechat_openid=openid, defaults={"wechat_unionid": unionid}
            )
    except IntegrityError:  # two first logins at once
        account = PatientAccount.objects.get(wechat_openid=openid)
    if unionid and account.wechat_unionid != unionid:
        PatientAccount.objects.filter(pk=account.pk).update(wechat_unionid=unionid)
        account.wechat_unionid = unionid
    if not account.is_active:
        _patient_refused(account, "account_disabled", "wechat")
    return account, _complete_patient_login(account, ["wechat"])


def patient_otp_request(*, phone, purpose=OtpPurpose.PATIENT_LOGIN):
    if purpose not in (OtpPurpose.PATIENT_LOGIN, OtpPurpose.PATIENT_BIND):
        raise InvalidInput(fields={"purpose": [_("Unknown purpose.")]})
    return otp.otp_request(phone=phone, purpose=purpose)


def patient_login_otp(*, phone, code):
    """Phone + SMS code → the patient account verified with that phone (created on first login)."""
    phone = otp.clean_phone(phone)
    otp.otp_verify(phone=phone, purpose=OtpPurpose.PATIENT_LOGIN, code=code)
    account = (
        PatientAccount.objects.filter(phone_index=blind_index(phone), phone_verified_at__isnull=False)
        .order_by("-last_login_at", "-id")
        .first()
    )
    if account is None:
        account = PatientAccount.objects.create(phone=phone, phone_verified_at=timezone.now())
    if not account.is_active:
        _patient_refused(account, "account_disabled", "otp")
    return account, _complete_patient_login(account, ["otp"])


class _AlreadyBound(Exception):
    pass


@transaction.atomic
def _bind(account, patient, his_patient, phone):
    before = {"patient": str(account.patient.uuid) if account.patient_id else None}
    account.patient = patient
    account.bound_at = timezone.now()
    account.save(update_fields=["patient", "bound_at", "updated_at"])
    audit_record(actor=account, action=AuditAction.REGISTER, target=account, target_repr=account.display_name,
                 before=before, after={"patient": str(patient.uuid), "reg_no": his_patient.reg_no,
                                       "phone": mask_phone(phone)}, detail="patient:his_matched")
    _announce_patient_login(account, account.bound_at)  # logged in, now as this patient


def patient_bind(*, account, name, id_number, phone, code=""):
    """Real-name binding (PA6): name + ID number + verified phone matched to the HIS record (登记号)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(fields={"name": [_("This field is required.")]})
    id_number = clean_id_number(id_number)
    phone = otp.clean_phone(phone)

    def refuse(reason, field=None, status=400):
        audit_record(actor=account, action=AuditAction.REGISTER, target=account, target_repr=account.display_name,
                     success=False, detail=f"patient:{reason}")
        _refuse(reason, field=field, status=status)

    phone_proven = bool(account.phone_verified_at) and account.phone == phone
    if not phone_proven:
        if not code:
            refuse("phone_not_verified", "code")
        otp.otp_verify(phone=phone, purpose=OtpPurpose.PATIENT_BIND, code=code)
        account.phone = phone
        account.phone_verified_at = timezone.now()
        account.save(update_fields=["phone", "phone_index", "phone_verified_at", "updated_at"])

    records = _call_port(_his().find_patient, id_number=id_number)
    record = next((r for r in records if normalize_id_number(r.id_number) == id_number), None)
    if record is None:
        refuse("his_no_match", "id_number")
    if not _same_name(record.name, name):
        refuse("his_name_mismatch", "name")
    from accounts.conf import conf

    if conf("PATIENT_BIND_REQUIRE_HIS_PHONE") and otp.normalize_phone(record.phone) != phone:
        refuse("his_phone_mismatch", "phone")
    from cases.services import patient_get_or_create_from_his

    try:
        with transaction.atomic():
            patient, _created = patient_get_or_create_from_his(his_patient=record, actor=account)
            if account.patient_id and account.patient_id != patient.pk:
                raise _AlreadyBound()
            _bind(account, patient, record, phone)
    except _AlreadyBound:
        refuse("already_bound", status=409)
    return account


# --- users and permissions administration (Y1, Y2) --------------------------------------------------------------


def user_snapshot(user):
    """What the audit log keeps of a user: no raw ID number."""
    return {
        "phone": mask_phone(user.phone),
        "name": user.name,
        "employee_no": user.employee_no,
        "title": user.title,
        "id_number": mask_id_number(user.id_number),
        "department": user.department.code if user.department_id else None,
        "wards": sorted(user.wards.values_list("code", flat=True)) if user.pk else [],
        "management_modes": list(user.management_modes or []),
        "roles": sorted(user.roles.values_list("slug", flat=True)) if user.pk else [],
        "extra_permissions": sorted(user.extra_permissions.values_list("slug", flat=True)) if user.pk else [],
        "is_active": user.is_active,
        "is_virtual": user.is_virtual,
    }


def _clean_modes(modes):
    unknown = set(modes or []) - set(ManagementMode.values)
    if unknown:
        raise InvalidInput(fields={"management_modes": [_("Unknown management mode.")]})
    return sorted(set(modes or []))


USER_FIELDS = {"phone", "name", "employee_no", "title", "id_number", "department", "wards", "management_modes",
               "roles", "is_active", "is_virtual"}


@transaction.atomic
def user_create(*, actor, phone=None, name, employee_no="", title="", id_number="", department=None, wards=(),
                management_modes=(), roles=(), is_active=True, is_virtual=False):
    """An administrator creates a staff account (Y1)."""
    if roles:
        assert_can_assign_roles(actor, roles)
    if phone:
        phone = otp.clean_phone(phone)
        if User.objects.filter(phone=phone).exists():
            _refuse("phone_in_use", field="phone", status=409, cls=Conflict)
    if id_number:
        id_number = clean_id_number(id_number)
    user = User(phone=phone or None, name=name, employee_no=employee_no, title=title, id_number=id_number,
                department=department, management_modes=_clean_modes(management_modes), is_active=is_active,
                is_virtual=is_virtual)
    user.set_unusable_password()
    user.save()
    user.wards.set(wards)
    user.roles.set(roles)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=user, after=user_snapshot(user),
                 detail="user_create")
    return user


@transaction.atomic
def user_update(*, actor, user, **changes):
    """Change a user's enabled flag, department, wards, modes, roles or identity fields (Y1)."""
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise InvalidInput(fields={f: [_("This field cannot be changed.")] for f in unknown})
    user = User.objects.select_for_update().get(pk=user.pk)
    assert_can_manage_user(actor, user)
    before = user_snapshot(user)
    if changes.get("is_active") is False and user.pk == actor.pk:
        raise NotAllowed(_("You cannot disable your own account."), code="cannot_disable_self")
    if "roles" in changes:
        added = set(changes["roles"]) - set(user.roles.all())
        if added:
            assert_can_assign_roles(actor, added)
    if "phone" in changes:
        phone = otp.clean_phone(changes["phone"]) if changes["phone"] else None
        if phone and User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
            _refuse("phone_in_use", field="phone", status=409, cls=Conflict)
        user.phone = phone
    if changes.get("id_number"):
        user.id_number = clean_id_number(changes["id_number"])
    if "management_modes" in changes:
        user.management_modes = _clean_modes(changes["management_modes"])
    for field in ("name", "employee_no", "title", "department", "is_active", "is_virtual"):
        if field in changes:
            setattr(user, field, changes[field])
    user.save()
    if "wards" in changes:
        user.wards.set(changes["wards"])
    if "roles" in changes:
        user.roles.set(changes["roles"])
    if before["is_active"] and not user.is_active:
        end_sessions_on_commit(user_group(user.uuid))  # every open socket of the user closes
    after = user_snapshot(user)
    if before != after:
        action = AuditAction.PERMISSION if before["roles"] != after["roles"] else AuditAction.CONFIG
        audit_record(actor=actor, action=action, target=user, before=before, after=after, detail="user_update")
    return user


def _permissions_for(slugs):
    slugs = set(slugs)
    perms = list(FunctionPermission.objects.filter(slug__in=slugs))
    missing = slugs - {p.slug for p in perms}
    if missing:
        raise InvalidInput(fields={"permissions": [_("Unknown permission: %(slugs)s") % {"slugs": ", ".join(sorted(missing))}]})
    return perms


@transaction.atomic
def user_set_extra_permissions(*, actor, user, slugs):
    """Replace a user's per-user extra grants (Y2)."""
    perms = _permissions_for(slugs)
    before = sorted(user.extra_permissions.values_list("slug", flat=True))
    assert_can_grant(actor, set(slugs) - set(before))
    user.extra_permissions.set(perms)
    after = sorted(p.slug for p in perms)
    if before != after:
        audit_record(actor=actor, action=AuditAction.PERMISSION, target=user, before={"extra_permissions": before},
                     after={"extra_permissions": after}, detail="user_extra_permissions")
    return user


@transaction.atomic
def role_set_permissions(*, actor, role, slugs):
    """Replace the function permissions granted to a role (Y2); takes effect on the next request."""
    perms = _permissions_for(slugs)
    role = Role.objects.select_for_update().get(pk=role.pk)
    before = sorted(role.permissions.values_list("slug", flat=True))
    assert_can_grant(actor, set(slugs) - set(before))
    role.permissions.set(perms)
    after = sorted(p.slug for p in perms)
    if before != after:
        audit_record(actor=actor, action=AuditAction.PERMISSION, target_type="accounts.role", target_id=role.slug,
                     target_repr=role.name, before={"permissions": before}, after={"permissions": after},
                     detail="role_permissions")
    return role


def wards_by_uuid(uuids):
    wards = list(Ward.objects.filter(uuid__in=list(uuids)))
    if len(wards) != len(set(uuids)):
        raise InvalidInput(fields={"wards": [_("Unknown ward.")]})
    return wards


# --- sessions (refresh rotation, logout) --------------------------------------------------------------------------


def session_refresh(*, refresh, principal):
    """Rotate a refresh token of `principal` kind ("staff" | "patient"); the presented token is blacklisted.
    Refused when the session has ended or is idle (a refresh does not count as activity)."""
    from accounts.tokens import (
        SESSION_CLAIM,
        TokenRefused,
        parse_refresh,
        principal_of,
        revoke,
        rotate,
        session_idle,
        session_state,
    )

    token = parse_refresh(refresh, principal=principal)
    ended, last_seen = session_state(token.get(SESSION_CLAIM))
    if ended:
        revoke(token)
        raise TokenRefused(_("This session has ended; please log in again."), code="session_ended")
    owner = principal_of(token)
    if owner is None or not owner.is_active or owner.is_virtual:
        raise TokenRefused(_("User is inactive"), code="user_inactive")
    if session_idle(last_seen, kind=principal):
        revoke(token)
        raise TokenRefused(_("The session expired after inactivity; please log in again."), code="session_idle")
    # A refresh is not activity: neither the session's last-seen time nor the principal's is moved, so a
    # client's background refresh loop cannot keep an unattended session alive.
    return rotate(token)


def session_logout(*, refresh, principal):
    """Blacklist the refresh token and end its session: its access tokens are refused at once and the sockets
    opened with them close."""
    from accounts.tokens import SESSION_CLAIM, parse_refresh, principal_of, revoke

    token = parse_refresh(refresh, principal=principal)
    owner = principal_of(token)
    with transaction.atomic():
        revoke(token)
        if owner is not None:  # the sockets opened with this session's tokens close once the logout commits
            group = patient_group(owner.uuid) if owner.is_patient else user_group(owner.uuid)
            end_sessions_on_commit(group, sid=token.get(SESSION_CLAIM))
        audit_record(actor=owner, action=AuditAction.LOGOUT, target=owner,
                     target_repr=getattr(owner, "display_name", "") or str(owner or ""), detail=principal)


def purge_expired(*, now=None):
    """Housekeeping: one-time-code rows older than OTP_RETENTION_DAYS, expired outstanding/blacklisted refresh
    tokens and the activity rows of sessions idle for good. Audit entries of the attempts are kept (append-only)."""
    from datetime import timedelta

    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.conf import conf
    from accounts.models import LoginSession, OtpChallenge
    from accounts.tokens import PATIENT, STAFF, idle_limit

    now = now or timezone.now()
    otp_rows, _ = OtpChallenge.objects.filter(created_at__lt=now - timedelta(days=conf("OTP_RETENTION_DAYS"))).delete()
    tokens, _ = OutstandingToken.objects.filter(expires_at__lt=now).delete()  # cascades to the blacklist rows
    # A session idle past the longest window is over; a missing row counts as idle, so deleting it changes nothing.
    idle_for_good = now - max(idle_limit(STAFF), idle_limit(PATIENT)) - timedelta(minutes=5)
    sessions, _ = LoginSession.objects.filter(last_seen_at__lt=idle_for_good).delete()
    return {"otp_challenges": otp_rows, "tokens": tokens, "sessions": sessions}
