"""JWT issuing and rotation for both principals (staff Users and PatientAccounts).

Every token carries `principal` ("staff" | "patient"); staff tokens carry simplejwt's `user_id`, patient tokens
`patient_id` (the account's public UUID) and no `user_id`, so a patient token can never resolve to a User.
`amr` lists the authentication methods used at login ("otp", "pwd"); admin endpoints require both. `sid`
names the login session: logout ends it, refusing its access tokens at once (not only its refresh token).
Idle expiry is per session too: the last time each sid made a request is kept in accounts.LoginSession (see
`session_seen` / `session_state`); a refresh is not activity.
Refresh tokens rotate: each refresh blacklists the presented token under a row lock, so a replayed or
concurrently reused refresh token is refused.
"""

import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.conf import conf
from core.errors import DomainError

STAFF = "staff"
PATIENT = "patient"
PRINCIPAL_CLAIM = "principal"
PATIENT_CLAIM = "patient_id"
AMR_CLAIM = "amr"
SESSION_CLAIM = "sid"  # one login = one session; every access and refresh token of it carries the same sid


class TokenRefused(DomainError):
    status_code = 401
    default_code = "token_not_valid"
    default_message = _("The token is invalid or expired; please log in again.")


def _pair(refresh):
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def issue_staff_tokens(user, *, amr=("otp",)):
    """{"access", "refresh"} for a staff user (callers have checked that the user may log in)."""
    refresh = RefreshToken.for_user(user)  # records the outstanding token
    refresh[PRINCIPAL_CLAIM] = STAFF
    refresh[AMR_CLAIM] = sorted(set(amr))
    refresh[SESSION_CLAIM] = uuid.uuid4().hex
    _outstanding_update(refresh)
    session_seen(refresh[SESSION_CLAIM])  # logging in is activity: the idle window starts now
    return _pair(refresh)


def issue_patient_tokens(account, *, amr=("wechat",)):
    refresh = RefreshToken()
    refresh[PRINCIPAL_CLAIM] = PATIENT
    refresh[PATIENT_CLAIM] = str(account.uuid)
    refresh[AMR_CLAIM] = sorted(set(amr))
    refresh[SESSION_CLAIM] = uuid.uuid4().hex
    refresh.outstand()
    session_seen(refresh[SESSION_CLAIM])
    return _pair(refresh)


def _outstanding_update(refresh):
    # for_user stored the token before our claims were added; keep the stored copy identical to the issued one
    OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).update(token=str(refresh))


def parse_refresh(raw, *, principal):
    """Validate a refresh token of the given principal kind (signature, expiry, blacklist)."""
    try:
        refresh = RefreshToken(raw)
    except TokenError as exc:
        raise TokenRefused(code=_refusal_code(raw)) from exc
    if refresh.get(PRINCIPAL_CLAIM, STAFF) != principal:
        raise TokenRefused(code="token_wrong_principal")
    return refresh


def _refusal_code(raw):
    """"token_blacklisted" for a genuine token already used or logged out, else "token_not_valid"."""
    from rest_framework_simplejwt.exceptions import TokenBackendError
    from rest_framework_simplejwt.state import token_backend

    try:
        payload = token_backend.decode(raw, verify=True)  # signature and expiry are checked
    except TokenBackendError:
        return "token_not_valid"
    if BlacklistedToken.objects.filter(token__jti=payload.get(api_settings.JTI_CLAIM)).exists():
        return "token_blacklisted"
    return "token_not_valid"


def principal_of(refresh):
    """The principal a validated refresh token belongs to, or None."""
    from accounts.models import PatientAccount, User

    if refresh.get(PRINCIPAL_CLAIM, STAFF) == PATIENT:
        return PatientAccount.objects.filter(uuid=refresh.get(PATIENT_CLAIM)).select_related("patient").first()
    user_id = refresh.get(api_settings.USER_ID_CLAIM)
    return User.objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first() if user_id else None


@transaction.atomic
def rotate(refresh):
    """Blacklist `refresh` and return a fresh pair with the same claims. Refuses a token already used."""
    jti = refresh[api_settings.JTI_CLAIM]
    outstanding, _created = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": None,
            "token": str(refresh),
            "created_at": refresh.current_time,
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    OutstandingToken.objects.select_for_update().get(pk=outstanding.pk)  # serialise concurrent refreshes
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise TokenRefused(code="token_blacklisted")
    BlacklistedToken.objects.create(token=outstanding)
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    return _pair(refresh)


def revoke(refresh):
    """Blacklist a refresh token and end its session, so the access tokens already issued stop too."""
    refresh.blacklist()
    end_session(refresh.get(SESSION_CLAIM))


def end_session(sid):
    """Refuse every token of session `sid` from now on, durably (a row, not a cache entry that a Redis restart
    would forget). An idle-ended session's refresh token is not blacklisted (the access token that found it
    idle does not carry it), so the session row itself must say the session is over. A session whose row was
    purged is refused as idle anyway."""
    from accounts.models import LoginSession

    if sid:
        LoginSession.objects.filter(sid=sid, ended_at=None).update(ended_at=timezone.now())


# --- per-session idle expiry -------------------------------------------------------------------------------------


def idle_limit(kind) -> timedelta:
    """How long a session of principal `kind` ("staff" | "patient") may go without a request."""
    minutes = conf("PATIENT_SESSION_IDLE_MINUTES") if kind == PATIENT else conf("SESSION_IDLE_MINUTES")
    return timedelta(minutes=minutes)


def session_seen(sid, *, now=None):
    """Record that session `sid` made a request at epoch seconds `now` (default: now)."""
    from datetime import UTC, datetime

    from accounts.models import LoginSession

    if not sid:
        return
    when = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    if not LoginSession.objects.filter(sid=sid).update(last_seen_at=when):
        LoginSession.objects.create(sid=sid, last_seen_at=when)  # a login: its sid is new


def session_state(sid):
    """(ended, last_seen) of session `sid`; last_seen is epoch seconds, or None for an unknown session."""
    from accounts.models import LoginSession

    if not sid:
        return False, None
    row = LoginSession.objects.filter(sid=sid).values_list("last_seen_at", "ended_at").first()
    if row is None:
        return False, None
    last_seen, ended_at = row
    return ended_at is not None, last_seen.timestamp()


def session_idle(last_seen, *, kind, now=None) -> bool:
    """True when a session last seen at `last_seen` has been idle too long. Unknown (None) counts as idle: every
    login records its session, so a missing row means it was purged as idle (or the token is not ours)."""
    if last_seen is None:
        return True
    now = time.time() if now is None else now
    return now - last_seen > idle_limit(kind).total_seconds()
