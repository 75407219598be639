"""The client address recorded in the audit log and used by the per-address OTP limits cannot be forged
with an X-Forwarded-For header: it is read only from the hops appended by the proxies we run."""

from django.test import RequestFactory

from core.middleware import client_ip


def _request(remote="10.0.0.5", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/api/v1/", **extra)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(remote="203.0.113.7", forwarded="1.2.3.4")) == "203.0.113.7"
    assert client_ip(_request(remote="203.0.113.7")) == "203.0.113.7"


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_client_sent(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # the client claims 1.2.3.4; our proxy appends the address it really saw
    assert client_ip(_request(forwarded="1.2.3.4, 198.51.100.9")) == "198.51.100.9"
    assert client_ip(_request(forwarded="198.51.100.9")) == "198.51.100.9"
    assert client_ip(_request(remote="10.0.0.5")) == "10.0.0.5"  # no header: the proxy was bypassed


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="1.2.3.4, 198.51.100.9, 10.0.0.2")) == "198.51.100.9"
    assert client_ip(_request(remote="10.0.0.5", forwarded="198.51.100.9")) == "10.0.0.5"  # too few hops
