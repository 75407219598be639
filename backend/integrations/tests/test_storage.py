"""boto3 object storage against moto's S3 server on loopback (real HTTP), and the local demo storage."""

import pytest
import requests
from moto.server import ThreadedMotoServer

from core.errors import ExternalServiceError, InvalidInput, NotFound
from integrations.adapters.storage import Boto3ObjectStorage, LocalObjectStorage
from integrations.models import CallStatus, ExternalCall

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def storage(s3_endpoint, settings):
    settings.OBJECT_STORAGE = {"bucket": "dsm-test", "endpoint_url": s3_endpoint, "access_key": "test",
                               "secret_key": "test", "region_name": "us-east-1"}
    adapter = Boto3ObjectStorage(sleep=lambda s: None)
    adapter.client.create_bucket(Bucket="dsm-test")
    return adapter


@pytest.mark.req("DC5")
def test_put_get_presigned_delete(storage):
    storage.put("cases/c1/consent.pdf", b"%PDF-1.7 consent", content_type="application/pdf")
    assert storage.get("cases/c1/consent.pdf") == b"%PDF-1.7 consent"
    url = storage.presigned_url("cases/c1/consent.pdf", expires_seconds=60)
    assert "X-Amz-Signature" in url and "Expires=60" in url.replace("X-Amz-Expires", "Expires")
    downloaded = requests.get(url, timeout=5)
    assert downloaded.status_code == 200 and downloaded.content == b"%PDF-1.7 consent"
    storage.delete("cases/c1/consent.pdf")
    with pytest.raises(NotFound):
        storage.get("cases/c1/consent.pdf")
    assert list(ExternalCall.objects.filter(port="storage").values_list("operation", "status")) == [
        ("get", CallStatus.OK), ("delete", CallStatus.OK), ("get", CallStatus.OK), ("put", CallStatus.OK)]


def test_unreachable_object_store_is_retried_and_logged(settings):
    settings.OBJECT_STORAGE = {"bucket": "b", "endpoint_url": "http://127.0.0.1:9", "access_key": "k",
                               "secret_key": "s", "region_name": "us-east-1"}
    settings.INTEGRATION_HTTP = {"timeout": 1, "attempts": 2, "backoff": 0}
    with pytest.raises(ExternalServiceError):
        Boto3ObjectStorage().put("x", b"1")
    row = ExternalCall.objects.get(port="storage")
    assert (row.status, row.attempts) == (CallStatus.NETWORK_ERROR, 2)


def test_keys_cannot_escape_the_bucket_prefix(storage, tmp_path):
    for bad in ("../etc/passwd", "/abs", ""):
        with pytest.raises(InvalidInput):
            storage.put(bad, b"x")
        with pytest.raises(InvalidInput):
            LocalObjectStorage(root=tmp_path).put(bad, b"x")


def test_local_storage_for_the_demo(tmp_path):
    local = LocalObjectStorage(root=tmp_path)
    local.put("a/b.txt", b"hello")
    assert local.get("a/b.txt") == b"hello"
    url = local.presigned_url("a/b.txt", expires_seconds=60)
    token = url.split("token=")[1]
    assert local.verify_token("a/b.txt", token) and not local.verify_token("a/c.txt", token)
    local.delete("a/b.txt")
    with pytest.raises(NotFound):
        local.get("a/b.txt")
