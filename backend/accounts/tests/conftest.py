import pytest
from django.core.cache import cache

from accounts.tests.fakes import FakeHis, FakeWechat, SmsRecorder
from integrations.registry import override_port


def _clear_otp_counters():
    """Drop this run's OTP counters (rate limits, lockouts) so tests start clean; other keys are kept."""
    pattern = cache.make_key("accounts:otp:*")
    backend = getattr(cache, "_cache", None)
    if backend is not None and hasattr(backend, "get_client"):
        client = backend.get_client(None, write=True)
        keys = list(client.scan_iter(match=pattern))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()  # local-memory cache: private to this process


@pytest.fixture(autouse=True)
def _otp_counters():
    _clear_otp_counters()
    yield
    _clear_otp_counters()


@pytest.fixture
def sms():
    with override_port("sms", SmsRecorder()) as recorder:
        yield recorder


@pytest.fixture
def his():
    with override_port("his", FakeHis()) as fake:
        yield fake


@pytest.fixture
def wechat():
    with override_port("wechat", FakeWechat()) as fake:
        yield fake
