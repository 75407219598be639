"""JWT authentication for both principals: staff (accounts.User) and patients (PatientAccount).

The token's `principal` claim decides how it resolves (see accounts.tokens); a patient token never becomes
a User and a staff token never a PatientAccount. Disabled principals and virtual surgeons are refused, and
so is a session (the token's `sid`) idle longer than SESSION_IDLE_MINUTES (PATIENT_SESSION_IDLE_MINUTES for
patients): each session's last request is recorded (accounts.LoginSession) at most every SESSION_TOUCH_SECONDS, so
activity on one device does not keep another device's session alive. The principal's `last_activity_at` is
still updated at the same pace, for display only (the user list); it decides nothing.
"""

import time

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from accounts.conf import conf
from accounts.tokens import (
    PATIENT,
    PATIENT_CLAIM,
    PRINCIPAL_CLAIM,
    SESSION_CLAIM,
    STAFF,
    end_session,
    session_idle,
    session_seen,
    session_state,
)


def principal_kind(principal):
    return PATIENT if principal.is_patient else STAFF


def touch(principal, now=None):
    """Update the principal's informational last_activity_at (at most every SESSION_TOUCH_SECONDS)."""
    now = now or timezone.now()
    last = principal.last_activity_at
    if last is None or (now - last).total_seconds() >= conf("SESSION_TOUCH_SECONDS"):
        principal.touch()

# simplejwt raises this text but its own zh_Hans catalogue lacks it; listing it here puts it in ours.
SIMPLEJWT_MESSAGES_MISSING_IN_ITS_CATALOGUE = (gettext_noop("Token is invalid"),)


class PrincipalJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        principal, token = result
        sid = token.get(SESSION_CLAIM)
        ended, last_seen = session_state(sid)
        if ended:
            raise AuthenticationFailed(_("This session has ended; please log in again."), code="session_ended")
        kind, now = principal_kind(principal), time.time()
        if session_idle(last_seen, kind=kind, now=now):
            end_session(sid)  # over for good: later activity cannot revive it
            raise AuthenticationFailed(_("The session expired after inactivity; please log in again."),
                                       code="session_idle")
        if now - last_seen >= conf("SESSION_TOUCH_SECONDS"):
            session_seen(sid, now=now)
        touch(principal)
        return principal, token

    def get_user(self, validated_token):
        kind = validated_token.get(PRINCIPAL_CLAIM, STAFF)
        if kind == PATIENT:
            from accounts.models import PatientAccount

            account = (
                PatientAccount.objects.select_related("patient").filter(uuid=validated_token.get(PATIENT_CLAIM)).first()
            )
            if account is None:
                raise AuthenticationFailed(_("User not found"), code="user_not_found")
            if not account.is_active:
                raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
            return account
        if kind != STAFF:
            raise InvalidToken(_("Token contained no recognizable user identification"))
        user = super().get_user(validated_token)  # refuses unknown and disabled users
        if user.is_virtual:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user


class PrincipalJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """OpenAPI: documents the bearer scheme of this authenticator."""

    target_class = "accounts.authentication.PrincipalJWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": 'Access token from /auth/login/ (staff) or /patient-auth/... (patients): "Bearer <token>"'}
