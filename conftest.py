"""Fixtures shared by every test folder (backend apps and cross-cutting tests/)."""

import os

import pytest

os.environ.setdefault("XDG_CACHE_HOME", "/tmp/dsm-test-cache")  # onnxruntime writes its cache here


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(scope="session")
def hospital_sim():
    """The hospital simulator on a free loopback port for the whole session; settings point every simulator
    port there (adapters are rebuilt). Returns its base URL; read recorders with integrations.testing helpers.
    Tests that depend on recorder contents should filter by their own phone/openid (the simulator is shared)."""
    from django.test import override_settings

    from integrations.testing import running_simulator

    with running_simulator() as base_url:
        override = override_settings(HOSPITAL_SIM_URL=base_url)
        override.enable()
        try:
            yield base_url
        finally:
            override.disable()

