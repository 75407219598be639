"""Object storage adapters: S3 API through boto3 (production: MinIO / OSS / COS / S3), and the local file
system for the embedded demo (no object store running).

boto3's own retries are switched off (total_max_attempts=1) so `run_call` is the one retry loop and the call
log counts real attempts. Presigned URLs are computed locally (no network call, nothing logged).
"""

from __future__ import annotations

import time
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
)
from django.conf import settings
from django.core import signing

from core.errors import InvalidInput, NotFound
from integrations.conf import call_policy
from integrations.http import Failure, run_call
from integrations.models import CallStatus


def classify_boto_error(exc: Exception) -> Failure | None:
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return Failure(CallStatus.TIMEOUT, True)
    if isinstance(exc, ConnectionError):  # EndpointConnectionError and friends
        return Failure(CallStatus.NETWORK_ERROR, True)
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code", "")
        if status and status >= 500:
            return Failure(CallStatus.SERVER_ERROR, True, status, code)
        return Failure(CallStatus.CLIENT_ERROR, False, status, code)
    if isinstance(exc, BotoCoreError):
        return Failure(CallStatus.NETWORK_ERROR, False)
    return None


def _check_key(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise InvalidInput(code="invalid_object_key", fields={"key": ["invalid object key"]})
    return key


class Boto3ObjectStorage:
    port_name = "storage"

    def __init__(self, *, client=None, bucket: str | None = None, sleep=None):
        config = settings.OBJECT_STORAGE
        self.policy = call_policy(self.port_name)
        self.bucket = bucket or config["bucket"]
        self.client = client or boto3.client(
            "s3",
            endpoint_url=config.get("endpoint_url") or None,
            aws_access_key_id=config.get("access_key") or None,
            aws_secret_access_key=config.get("secret_key") or None,
            region_name=config.get("region_name") or None,
            config=Config(connect_timeout=self.policy.timeout, read_timeout=self.policy.timeout,
                          retries={"total_max_attempts": 1}, signature_version="s3v4"),
        )
        self.sleep = sleep

    def _run(self, operation, fn, key):
        extra = {"sleep": self.sleep} if self.sleep else {}
        return run_call(port=self.port_name, operation=operation, fn=lambda _n: fn(), classify=classify_boto_error,
                        policy=self.policy, summary={"bucket": self.bucket, "object": key}, **extra)

    def put(self, key, content, *, content_type="application/octet-stream") -> None:
        _check_key(key)
        self._run("put", lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=content,
                                                        ContentType=content_type), key)

    def get(self, key) -> bytes:
        _check_key(key)

        def fetch():
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None  # an answer, not a failure: the caller gets NotFound
                raise

        content = self._run("get", fetch, key)
        if content is None:
            raise NotFound()
        return content

    def presigned_url(self, key, *, expires_seconds=300) -> str:
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket,
                                                                        "Key": _check_key(key)},
                                                  ExpiresIn=expires_seconds)

    def delete(self, key) -> None:
        _check_key(key)
        self._run("delete", lambda: self.client.delete_object(Bucket=self.bucket, Key=key), key)


class LocalObjectStorage:
    """Embedded demo storage under MEDIA_ROOT/objects. `presigned_url` returns MEDIA_URL/objects/<key> with a
    signed expiry token (`verify_token` checks it); serving it is the web server's job (demo: Django static)."""

    port_name = "storage"
    _salt = "integrations.local-object-storage"

    def __init__(self, *, root: str | Path | None = None):
        self.root = Path(root or Path(settings.MEDIA_ROOT) / "objects")

    def _path(self, key) -> Path:
        return self.root / _check_key(key)

    def put(self, key, content, *, content_type="application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def get(self, key) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise NotFound()
        return path.read_bytes()

    def presigned_url(self, key, *, expires_seconds=300) -> str:
        token = signing.dumps({"k": _check_key(key), "e": int(time.time()) + expires_seconds}, salt=self._salt)
        return f"{settings.MEDIA_URL.rstrip('/')}/objects/{key}?token={token}"

    def verify_token(self, key, token) -> bool:
        try:
            payload = signing.loads(token, salt=self._salt)
        except signing.BadSignature:
            return False
        return payload.get("k") == key and payload.get("e", 0) >= time.time()

    def delete(self, key) -> None:
        self._path(key).unlink(missing_ok=True)
