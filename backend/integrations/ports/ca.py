"""CA signature port (电子签名): sign a document hash with a clinician's certificate."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Signature:
    signature_value: str  # base64
    cert_serial: str
    algorithm: str
    signed_at: datetime | None  # the CA's trusted timestamp


class CaPort(Protocol):
    def sign(self, *, signer_id: str, document_hash: str, idempotency_key: str) -> Signature:
        """`document_hash`: hex SHA-256 (or SM3) of the finalised document."""
        ...

    def verify(self, *, signer_id: str, document_hash: str, signature_value: str) -> bool: ...
