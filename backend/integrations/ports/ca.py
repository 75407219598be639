"""CA signature port (电子签名): sign a document hash with a clinician's certificate.

The CA signs the 32-byte SHA-256 digest of the finalised document with the clinician's private key and answers
the signature with the certificate it was made with. Anyone holding the CA's root certificate (the trust anchor)
can then verify it offline: `integrations.ca_verify.verify_signature`.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Signature:
    signature_value: str  # base64 of the DER-encoded signature
    cert_serial: str  # the signer certificate's serial number, hex
    algorithm: str  # "ECDSA-P256-SHA256" (the simulator); a hospital CA may use "SM2-SM3"
    signed_at: datetime | None  # the CA's trusted timestamp
    certificate_pem: str = ""  # the signer's X.509 certificate, issued by the CA's root


class CaPort(Protocol):
    def sign(self, *, signer_id: str, document_hash: str, idempotency_key: str) -> Signature:
        """`signer_id`: the clinician's employee number; `document_hash`: hex SHA-256 of the finalised document."""
        ...

    def verify(self, *, signer_id: str, document_hash: str, signature_value: str) -> bool:
        """The CA's own verification service (online); prefer offline verification against the trust anchor."""
        ...

    def trust_anchor_pem(self) -> str:
        """The CA's root certificate (PEM). Production pins it in settings (CA_TRUST_ANCHOR_PEM)."""
        ...
