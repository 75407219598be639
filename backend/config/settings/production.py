"""Production profile: refuses to start without real secrets; passes `manage.py check --deploy`."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int


def _required(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production")
    return value


DEBUG = False
SECRET_KEY = _required("DJANGO_SECRET_KEY")
FIELD_ENCRYPTION_KEY = _required("FIELD_ENCRYPTION_KEY")
SIMPLE_JWT["SIGNING_KEY"] = os.environ.get("JWT_SIGNING_KEY", SECRET_KEY)  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]  # noqa: F405

# Hospital systems: never fall back to the simulator. Each port needs its own <PORT>_BASE_URL
# (integrations.conf.base_url refuses otherwise); WeChat defaults to WeChat's own servers.
HOSPITAL_SIM_URL = os.environ.get("HOSPITAL_SIM_URL", "")
WECHAT["api_base_url"] = os.environ.get("WECHAT_API_BASE_URL", "https://api.weixin.qq.com/")  # noqa: F405
WECHAT["pay_base_url"] = os.environ.get("WECHAT_PAY_BASE_URL", "https://api.mch.weixin.qq.com/")  # noqa: F405

# A8: consent signatures are verified against the hospital CA's root pinned here, never one fetched from the
# network (whoever could answer for the CA could then vouch for any certificate). Checked at start-up.
if INTEGRATION_ADAPTERS["ca"] == "integrations.adapters.http_json.HttpCaAdapter":  # noqa: F405
    from cryptography import x509 as _x509

    if not CA_TRUST_ANCHOR_PEM:  # noqa: F405
        raise ImproperlyConfigured("CA_TRUST_ANCHOR_PEM (or CA_TRUST_ANCHOR_FILE) must be set in production")
    try:
        _x509.load_pem_x509_certificate(CA_TRUST_ANCHOR_PEM.encode())  # noqa: F405
    except ValueError as _exc:
        raise ImproperlyConfigured(f"CA_TRUST_ANCHOR_PEM is not a PEM X.509 certificate: {_exc}") from _exc
