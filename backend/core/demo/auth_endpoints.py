"""Where the login endpoints live (accounts.api), found by URL name so the banner and the end-to-end demo
test follow the accounts API instead of hard-coding paths."""

from django.urls import NoReverseMatch, reverse

NAMES = {
    "otp": "auth-otp",  # staff: request an SMS code {"phone", "purpose": "staff_login" | "register"}
    "login": "auth-login",  # staff: {"phone", "code"} → tokens
    "admin_otp": "auth-admin-otp",  # admin web: {"phone", "password"} → SMS code sent
    "admin_login": "auth-admin-login",  # admin web: {"phone", "password", "code"} → tokens
    "register": "auth-register",  # staff real-name registration {"name", "id_number", "phone", "code"}
    "patient_otp": "patient-auth-otp",
    "patient_login": "patient-auth-login",
    "patient_bind": "patient-auth-bind",
}


def endpoints():
    """{step: path or None}, or None when staff login is not available in this build."""
    found = {}
    for step, name in NAMES.items():
        try:
            found[step] = reverse(f"v1:{name}")
        except NoReverseMatch:
            found[step] = None
    if not found["otp"] or not found["login"]:
        return None
    return found
