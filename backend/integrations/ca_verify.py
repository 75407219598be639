"""Offline verification of a CA signature against a pinned trust anchor (A8).

A signature is accepted only when every link holds:
1. the signer's certificate names the trust anchor as its issuer and carries the anchor's signature
   (checked with the anchor's public key, so a look-alike CA with the same name fails);
2. the anchor is a CA certificate and both certificates are within their validity period at the signing time;
3. the certificate's key usage allows digital signatures (or non-repudiation);
4. the signature is a valid ECDSA P-256 signature of the 32-byte document digest (`Prehashed(SHA256)`).

No network: the answer depends only on the inputs, so a stored consent can be re-verified years later. `reason`
is a stable code a client can branch on; `message` is its translatable text.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext_lazy as _

OK = "valid"
MESSAGES = {
    OK: _("The signature is valid."),
    "malformed_certificate": _("The signer's certificate cannot be read."),
    "malformed_trust_anchor": _("The trusted CA certificate cannot be read."),
    "trust_anchor_not_ca": _("The trusted certificate is not a CA certificate."),
    "untrusted_issuer": _("The signer's certificate was not issued by the trusted CA."),
    "certificate_not_yet_valid": _("The signer's certificate was not yet valid at the signing time."),
    "certificate_expired": _("The signer's certificate had expired at the signing time."),
    "trust_anchor_expired": _("The trusted CA certificate was not valid at the signing time."),
    "key_usage": _("The signer's certificate does not allow digital signatures."),
    "unsupported_key": _("The signer's key type is not supported."),
    "malformed_hash": _("The document hash must be 64 hexadecimal characters (SHA-256)."),
    "malformed_signature": _("The signature value is not valid base64."),
    "signature_mismatch": _("The signature does not match the document."),
}


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    reason: str  # "valid" or one of the failure codes in MESSAGES
    subject: str = ""  # the signer's name (certificate CN), when the certificate could be read
    serial: str = ""  # the certificate serial number, hex upper case
    signer_id: str = ""  # the certificate's serialNumber attribute: the clinician's employee number

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.reason, self.reason))


def _attribute(name: x509.Name, oid) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _within(cert: x509.Certificate, at: datetime) -> str:
    if at < cert.not_valid_before_utc:
        return "not_yet_valid"
    if at > cert.not_valid_after_utc:
        return "expired"
    return ""


def _allows_signing(cert: x509.Certificate) -> bool:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return False  # a signing certificate must say what its key is for
    return usage.digital_signature or usage.content_commitment


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def verify_signature(*, certificate_pem: str, trust_anchor_pem: str, document_hash: str, signature_value: str,
                     at: datetime | None = None) -> VerificationResult:
    """Verify `signature_value` (base64 DER ECDSA) of `document_hash` (hex SHA-256) made with the key of
    `certificate_pem`, which must chain to `trust_anchor_pem`. `at`: the signing time (the CA's timestamp);
    defaults to now."""
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware")
    try:
        anchor = x509.load_pem_x509_certificate(trust_anchor_pem.encode())
    except (ValueError, TypeError, AttributeError):
        return VerificationResult(False, "malformed_trust_anchor")
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    except (ValueError, TypeError, AttributeError):
        return VerificationResult(False, "malformed_certificate")

    def result(reason: str) -> VerificationResult:
        return VerificationResult(reason == OK, reason, subject=_attribute(cert.subject, NameOID.COMMON_NAME),
                                  serial=f"{cert.serial_number:032X}",
                                  signer_id=_attribute(cert.subject, NameOID.SERIAL_NUMBER))

    if not _is_ca(anchor):
        return result("trust_anchor_not_ca")
    try:
        # Issuer name equal to the anchor's subject AND the certificate's signature made by the anchor's key.
        cert.verify_directly_issued_by(anchor)
    except (ValueError, TypeError, InvalidSignature):
        return result("untrusted_issuer")
    if _within(anchor, at):
        return result("trust_anchor_expired")
    if problem := _within(cert, at):
        return result(f"certificate_{problem}")
    if not _allows_signing(cert):
        return result("key_usage")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return result("unsupported_key")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", document_hash or ""):
        return result("malformed_hash")
    try:
        signature = base64.b64decode(signature_value or "", validate=True)
    except (binascii.Error, ValueError):
        return result("malformed_signature")
    try:
        public_key.verify(signature, bytes.fromhex(document_hash), ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return result("signature_mismatch")
    return result(OK)
