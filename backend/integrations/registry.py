"""Adapter selection by settings: INTEGRATION_ADAPTERS = {"his": "dotted.path.Class", ...}.

`get_port("his")` returns a cached adapter instance. Tests may swap one with `override_port`.
"""

from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

_overrides: dict = {}
# Settings adapters read when they are built: changing one rebuilds them on next use.
RESET_ON = {"INTEGRATION_ADAPTERS", "HOSPITAL_SIM_URL", "INTEGRATION_ENDPOINTS", "INTEGRATION_HTTP",
            "INTEGRATION_FHIR_SYSTEMS", "WECHAT", "FCM", "OBJECT_STORAGE", "CA_TRUST_ANCHOR_PEM"}


@cache
def _build(name):
    path = settings.INTEGRATION_ADAPTERS[name]
    return import_string(path)()


def get_port(name):
    if name in _overrides:
        return _overrides[name]
    return _build(name)


@contextmanager
def override_port(name, adapter):
    _overrides[name] = adapter
    try:
        yield adapter
    finally:
        _overrides.pop(name, None)


def _reset(*, setting, **kwargs):
    if setting in RESET_ON:
        _build.cache_clear()


setting_changed.connect(_reset)
