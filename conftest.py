"""Fixtures shared by every test folder (backend apps and cross-cutting tests/)."""

import os

import pytest

os.environ.setdefault("XDG_CACHE_HOME", "/tmp/dsm-test-cache")  # onnxruntime writes its cache here


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(principal)`: a fresh API client signed in as a staff user or a patient account."""
    from rest_framework.test import APIClient

    from tests.builders import authenticate

    return lambda principal: authenticate(APIClient(), principal)


# The usual world of an app's tests: one day-surgery ward of a hospital with a nurse and a surgeon on it. A folder
# whose tests need another world overrides these in its own conftest.
@pytest.fixture
def ward(db):
    from tests.builders import make_ward

    return make_ward()


@pytest.fixture
def hospital(ward):
    return ward.department.hospital


@pytest.fixture
def nurse(ward):
    from tests.builders import make_staff

    return make_staff("nurse", ward=ward)


@pytest.fixture
def doctor(ward):
    from tests.builders import make_staff

    return make_staff("doctor", ward=ward)


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

