"""SMS one-time codes: issue, verify, rate-limit and lock out (SA1, PA1; MLPS 身份鉴别 b).

- Codes are 6 random digits from `secrets`; only HMAC-SHA256(key, salt:code) with a per-row salt is stored,
  the phone only as a blind index (and a masked copy for people reading the table).
- A code expires after OTP_TTL_SECONDS, is single use (row lock + consumed_at) and dies after
  OTP_MAX_ATTEMPTS wrong guesses; a new code for the same phone and purpose supersedes older ones.
- Requests are limited per phone (OTP_PHONE_PER_MINUTE, OTP_PHONE_PER_HOUR) and per client address
  (OTP_IP_PER_HOUR) with counters in the shared cache (Redis in production).
- OTP_LOCKOUT_FAILURES failed verifications (wrong, expired, reused codes and wrong passwords) lock the
  phone for OTP_LOCKOUT_MINUTES: no codes are sent and no login is accepted meanwhile. A client address
  with OTP_IP_FAILURES_PER_HOUR failures (across any phones) is refused for the rest of the hour.
- Every request, success, failure and lockout writes an audit entry that survives the refusal.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.conf import conf
from accounts.models import OtpChallenge, OtpPurpose
from audit.models import AuditAction
from audit.services import audit_record
from core.crypto import blind_index
from core.errors import ExternalServiceError, InvalidInput, RateLimited
from core.identity import is_valid_mobile, mask_phone, normalize_phone
from core.middleware import current_request_context

CODE_DIGITS = 6

MESSAGES = {
    "otp_invalid": _("The verification code is incorrect."),
    "otp_expired": _("The verification code has expired; request a new one."),
    "otp_used": _("The verification code has already been used; request a new one."),
    "phone_locked": _("Too many failed attempts; this phone number is locked for a while."),
    "otp_rate_limited": _("Verification codes were requested too often; please wait and try again."),
}


def clean_phone(phone, field="phone"):
    phone = normalize_phone(phone)
    if not is_valid_mobile(phone):
        raise InvalidInput(fields={field: [_("Enter a valid mainland China mobile number.")]})
    return phone


def _otp_key():
    return hashlib.sha256(b"dsm-otp-code:" + settings.SECRET_KEY.encode()).digest()


def hash_code(salt, code):
    return hmac.new(_otp_key(), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _cache_key(*parts):
    return "accounts:otp:" + ":".join(parts)


def _incr(key, timeout):
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)
        return 1


def _decr(key):
    try:
        cache.decr(key)
    except ValueError:  # expired meanwhile: nothing left to give back
        pass


def _audit(action, *, phone_idx_masked, success, detail, target_id="", actor=None, after=None):
    audit_record(
        actor=actor,
        action=action,
        target_type="accounts.phone",
        target_id=target_id or phone_idx_masked[0][:64],
        target_repr=phone_idx_masked[1],
        success=success,
        detail=detail,
        after=after,
    )


def is_locked(phone) -> bool:
    return bool(cache.get(_cache_key("lock", blind_index(phone))))


def _ip_blocked(ip):
    return bool(ip) and (cache.get(_cache_key("ipfail", ip)) or 0) >= conf("OTP_IP_FAILURES_PER_HOUR")


def assert_not_locked(phone, *, purpose=""):
    ip = _client_ip(None)
    if _ip_blocked(ip):
        idx = blind_index(phone)
        _audit(AuditAction.LOGIN_FAILED, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:ip_blocked")
        raise RateLimited(MESSAGES["otp_rate_limited"], code="ip_rate_limited")
    if is_locked(phone):
        idx = blind_index(phone)
        _audit(AuditAction.LOGIN_FAILED, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:phone_locked")
        raise RateLimited(MESSAGES["phone_locked"], code="phone_locked")


def begin_guess(phone, *, purpose=""):
    """Count a password check as a failure before it is made, so parallel guesses see each other and cannot
    all slip in under the lockout threshold while the (slow) checks run. Returns the count to hand to
    `register_failure(counted=...)` when the guess is wrong; `cancel_guess` gives it back when it is right."""
    idx = blind_index(phone)
    failures = _incr(_cache_key("fail", idx), conf("OTP_LOCKOUT_MINUTES") * 60)
    if failures > conf("OTP_LOCKOUT_FAILURES"):  # the threshold is taken by failures and guesses in flight
        _decr(_cache_key("fail", idx))
        _audit(AuditAction.LOGIN_FAILED, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:phone_locked")
        raise RateLimited(MESSAGES["phone_locked"], code="phone_locked")
    return failures


def cancel_guess(phone):
    _decr(_cache_key("fail", blind_index(phone)))


def register_failure(phone, *, reason, purpose="", counted=None):
    """Count one failed verification for `phone`; lock it when the threshold is reached. Returns locked?

    `counted` is the count `begin_guess` already took for this attempt (it is not counted twice)."""
    idx = blind_index(phone)
    window = conf("OTP_LOCKOUT_MINUTES") * 60
    ip = _client_ip(None)
    if ip:  # one address guessing across many phones is stopped too
        _incr(_cache_key("ipfail", ip), 3600)
    failures = counted if counted is not None else _incr(_cache_key("fail", idx), window)
    _audit(AuditAction.LOGIN_FAILED, phone_idx_masked=(idx, mask_phone(phone)), success=False,
           detail=f"{purpose}:{reason}:{failures}")
    if failures >= conf("OTP_LOCKOUT_FAILURES"):
        cache.set(_cache_key("lock", idx), 1, window)
        cache.delete(_cache_key("fail", idx))
        _audit(AuditAction.LOGIN_FAILED, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:lockout:{conf('OTP_LOCKOUT_MINUTES')}min")
        return True
    return False


def clear_failures(phone):
    cache.delete(_cache_key("fail", blind_index(phone)))


def _client_ip(ip):
    if ip:
        return ip
    ctx = current_request_context() or {}
    return ctx.get("ip")


def _check_rate_limits(phone, idx, ip, purpose):
    limits = [
        (_cache_key("pm", idx), 60, conf("OTP_PHONE_PER_MINUTE"), "phone_minute"),
        (_cache_key("ph", idx), 3600, conf("OTP_PHONE_PER_HOUR"), "phone_hour"),
    ]
    if ip:
        limits.append((_cache_key("ip", ip), 3600, conf("OTP_IP_PER_HOUR"), "ip_hour"))
    # Count first, then compare: the atomic increment is the check, so parallel requests cannot all pass a
    # read of the counter before any of them is counted. A refused request gives its counts back.
    counted = []
    for key, window, limit, name in limits:
        counted.append(key)
        if _incr(key, window) > limit:
            for done in counted:
                _decr(done)
            _audit(AuditAction.OTP_REQUEST, phone_idx_masked=(idx, mask_phone(phone)), success=False,
                   detail=f"{purpose}:rate_limited:{name}")
            raise RateLimited(MESSAGES["otp_rate_limited"], code="otp_rate_limited", extra={"limit": name})


def otp_request(*, phone, purpose, deliver=True, ip=None) -> OtpChallenge | None:
    """Issue a code for (phone, purpose) and send it by SMS.

    `deliver=False` (e.g. no staff account has this phone) applies the same limits and audit but sends
    nothing, so the answer does not reveal which phone numbers have accounts.
    """
    phone = clean_phone(phone)
    if purpose not in OtpPurpose.values:
        raise InvalidInput(fields={"purpose": [_("Unknown purpose.")]})
    idx = blind_index(phone)
    ip = _client_ip(ip)
    assert_not_locked(phone, purpose=purpose)
    _check_rate_limits(phone, idx, ip, purpose)
    if not deliver:
        _audit(AuditAction.OTP_REQUEST, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:no_account")
        return None

    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    ttl = conf("OTP_TTL_SECONDS")
    with transaction.atomic():
        challenge = OtpChallenge.objects.create(
            phone_index=idx,
            phone_masked=mask_phone(phone),
            purpose=purpose,
            salt=salt,
            code_hash=hash_code(salt, code),
            expires_at=timezone.now() + timedelta(seconds=ttl),
            ip=ip,
        )
    from integrations.registry import get_port

    try:
        result = get_port("sms").send(
            phone=phone,
            template="otp",
            params={"code": code, "purpose": purpose, "minutes": max(1, ttl // 60)},
            idempotency_key=f"otp:{challenge.uuid}",
        )
        accepted, message_id, error = result.accepted, result.message_id, result.error
    except Exception as exc:  # the SMS gateway failing must not leave a usable code behind
        accepted, message_id, error = False, "", exc.__class__.__name__
    if not accepted:
        OtpChallenge.objects.filter(pk=challenge.pk).update(consumed_at=timezone.now())
        _audit(AuditAction.OTP_REQUEST, phone_idx_masked=(idx, mask_phone(phone)), success=False,
               detail=f"{purpose}:sms_failed:{error}"[:300], target_id=str(challenge.uuid))
        raise ExternalServiceError(_("The SMS could not be sent; please try again later."), code="sms_failed")
    OtpChallenge.objects.filter(pk=challenge.pk).update(sms_message_id=message_id[:100])
    _audit(AuditAction.OTP_REQUEST, phone_idx_masked=(idx, mask_phone(phone)), success=True,
           detail=f"{purpose}:sent", target_id=str(challenge.uuid))
    return challenge


def otp_verify(*, phone, purpose, code) -> OtpChallenge:
    """Consume the newest code for (phone, purpose) if `code` matches; otherwise count a failure and refuse."""
    phone = clean_phone(phone)
    idx = blind_index(phone)
    assert_not_locked(phone, purpose=purpose)
    code = (code or "").strip()
    outcome = None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(phone_index=idx, purpose=purpose)
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if challenge is None or challenge.attempts >= conf("OTP_MAX_ATTEMPTS"):
            hmac.compare_digest(hash_code("0" * 32, code), "0" * 64)  # same work: timing reveals nothing
            outcome = "otp_invalid"
        elif challenge.consumed_at is not None:
            outcome = "otp_used"
        elif challenge.expires_at <= now:
            outcome = "otp_expired"
        elif not hmac.compare_digest(challenge.code_hash, hash_code(challenge.salt, code)):
            outcome = "otp_invalid"
            challenge.attempts += 1
            challenge.save(update_fields=["attempts", "updated_at"])
        else:
            challenge.consumed_at = now
            challenge.save(update_fields=["consumed_at", "updated_at"])
            _audit(AuditAction.LOGIN, phone_idx_masked=(idx, mask_phone(phone)), success=True,
                   detail=f"{purpose}:otp_verified", target_id=str(challenge.uuid))
    if outcome is not None:
        locked = register_failure(phone, reason=outcome, purpose=purpose)
        if locked:
            raise RateLimited(MESSAGES["phone_locked"], code="phone_locked")
        raise InvalidInput(MESSAGES[outcome], code=outcome, fields={"code": [MESSAGES[outcome]]})
    clear_failures(phone)
    return challenge
