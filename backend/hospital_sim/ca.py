"""The simulator's certificate authority (电子签名 CA): a real X.509 root and per-clinician signing certificates.

At start the simulator creates a root CA (EC P-256 key, self-signed certificate, 10 years). Each clinician of the
roster gets, on first use, a key pair and a certificate issued by that root (CN = the clinician's name,
serialNumber = the employee number, 2 years, key usage: digital signature + non-repudiation). Signing is ECDSA
P-256 over the 32-byte SHA-256 digest the platform sends (`Prehashed(SHA256)`: the digest is not hashed again),
so anyone holding the root certificate can verify a signature offline with standard tools.

The keys live in memory only: a restarted simulator is a new CA, whose root the platform fetches again in
dev/test (production pins the hospital CA's root in settings). Depends on `cryptography` (a project dependency),
never on Django.
"""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

ALGORITHM = "ECDSA-P256-SHA256"
ROOT_VALIDITY = timedelta(days=3650)
SIGNER_VALIDITY = timedelta(days=730)
ORGANISATION = "Hospital Simulator"


def serial_number() -> int:
    """A random positive 127-bit serial: always 32 hex digits (RFC 5280 allows up to 20 octets)."""
    return int.from_bytes(os.urandom(16), "big") >> 1 | 1 << 126


def serial_hex(cert: x509.Certificate) -> str:
    return f"{cert.serial_number:032X}"


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class SignerCredential:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def certificate_pem(self) -> str:
        return pem(self.certificate)

    @property
    def serial(self) -> str:
        return serial_hex(self.certificate)


class CertificateAuthority:
    """One root and the signer certificates it issued, cached by employee number (thread-safe)."""

    def __init__(self, *, common_name: str = "Hospital Simulator Root CA", organisation: str = ORGANISATION,
                 now: datetime | None = None):
        now = now or datetime.now(UTC)
        self.organisation = organisation
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ])
        public = self.key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name).issuer_name(self.name).public_key(public)
            .serial_number(serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self._signers: dict[str, SignerCredential] = {}
        self._lock = threading.Lock()

    @property
    def root_pem(self) -> str:
        return pem(self.certificate)

    def issue(self, *, employee_no: str, name: str, not_before: datetime | None = None,
              not_after: datetime | None = None, key_usage: x509.KeyUsage | None = None) -> SignerCredential:
        """A new key pair and certificate for one clinician (not cached: `credential_for` caches). The optional
        arguments exist for tests that need an expired certificate or one without the signing key usage."""
        key = ec.generate_private_key(ec.SECP256R1())
        not_before = not_before or datetime.now(UTC) - timedelta(minutes=5)
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, employee_no),
        ])
        usage = key_usage or x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject).issuer_name(self.name).public_key(key.public_key())
            .serial_number(serial_number())
            .not_valid_before(not_before).not_valid_after(not_after or not_before + SIGNER_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return SignerCredential(key=key, certificate=certificate)

    def credential_for(self, *, employee_no: str, name: str) -> SignerCredential:
        with self._lock:
            credential = self._signers.get(employee_no)
            if credential is None:
                credential = self._signers[employee_no] = self.issue(employee_no=employee_no, name=name)
            return credential

    def certificate_of(self, employee_no: str) -> SignerCredential | None:
        with self._lock:
            return self._signers.get(employee_no)


def sign_digest(credential: SignerCredential, digest_hex: str) -> str:
    """ECDSA P-256 over the 32-byte digest; base64 of the DER-encoded signature."""
    signature = credential.key.sign(bytes.fromhex(digest_hex), ec.ECDSA(Prehashed(hashes.SHA256())))
    return base64.b64encode(signature).decode()


def verify_digest(certificate: x509.Certificate, digest_hex: str, signature_b64: str) -> bool:
    try:
        certificate.public_key().verify(base64.b64decode(signature_b64, validate=True), bytes.fromhex(digest_hex),
                                        ec.ECDSA(Prehashed(hashes.SHA256())))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
