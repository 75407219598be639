"""Fixtures shared by every test folder (backend apps and cross-cutting tests/)."""

import os

import pytest

os.environ.setdefault("XDG_CACHE_HOME", "/tmp/dsm-test-cache")  # onnxruntime writes its cache here


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
