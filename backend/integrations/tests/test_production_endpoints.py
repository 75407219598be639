import pytest
from django.core.exceptions import ImproperlyConfigured

from integrations.conf import base_url


def test_a_port_without_endpoint_refuses_when_no_simulator_is_configured(settings):
    settings.HOSPITAL_SIM_URL = ""
    settings.INTEGRATION_ENDPOINTS = {"his": "https://his.example.org/fhir"}
    assert base_url("his") == "https://his.example.org/fhir"
    with pytest.raises(ImproperlyConfigured, match="LIS_BASE_URL"):
        base_url("lis")
