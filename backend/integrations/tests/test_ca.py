"""CA with real X.509 (A8): the simulator's CA signs digests with per-clinician certificates issued by its root;
`integrations.ca_verify.verify_signature` checks the chain to the trust anchor, validity, key usage and the
ECDSA signature offline. Production refuses to start without a pinned trust anchor."""

import hashlib
import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import override_settings

from core.errors import ExternalServiceError
from hospital_sim import ca as sim_ca
from integrations.ca_verify import verify_signature
from integrations.registry import get_port
from integrations.testing import sim_get, sim_staff

pytestmark = [pytest.mark.django_db, pytest.mark.req("A8")]

BACKEND = Path(__file__).resolve().parents[2]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def signer(hospital_sim):
    return sim_staff(hospital_sim, role="anaesthetist")[0]


def test_root_certificate_is_a_self_signed_p256_ca_valid_ten_years(hospital_sim):
    root = x509.load_pem_x509_certificate(get_port("ca").trust_anchor_pem().encode())
    assert root.subject == root.issuer
    assert root.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Hospital Simulator Root CA"
    root.verify_directly_issued_by(root)  # self-signed: raises if the signature does not hold
    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey) and root.public_key().curve.name == "secp256r1"
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = root.not_valid_after_utc - root.not_valid_before_utc
    assert timedelta(days=3649) < lifetime < timedelta(days=3651)


def test_a_valid_signature_verifies_against_the_trust_anchor(hospital_sim, signer):
    ca = get_port("ca")
    document_hash = digest("麻醉知情同意书 v1")
    signature = ca.sign(signer_id=signer["employee_no"], document_hash=document_hash, idempotency_key="ca-v-1")
    result = verify_signature(certificate_pem=signature.certificate_pem, trust_anchor_pem=ca.trust_anchor_pem(),
                              document_hash=document_hash, signature_value=signature.signature_value,
                              at=signature.signed_at)
    assert result.valid and result.reason == "valid"
    assert (result.subject, result.signer_id, result.serial) == (signer["name"], signer["employee_no"],
                                                                 signature.cert_serial)
    cert = x509.load_pem_x509_certificate(signature.certificate_pem.encode())
    assert timedelta(days=729) < cert.not_valid_after_utc - cert.not_valid_before_utc < timedelta(days=731)
    # the certificate is issued once per signer and reused
    again = ca.sign(signer_id=signer["employee_no"], document_hash=digest("另一份"), idempotency_key="ca-v-2")
    assert again.cert_serial == signature.cert_serial and again.certificate_pem == signature.certificate_pem


def test_a_modified_document_hash_fails(hospital_sim, signer):
    ca = get_port("ca")
    signature = ca.sign(signer_id=signer["employee_no"], document_hash=digest("原文"), idempotency_key="ca-m-1")
    result = verify_signature(certificate_pem=signature.certificate_pem, trust_anchor_pem=ca.trust_anchor_pem(),
                              document_hash=digest("原文（已被修改）"), signature_value=signature.signature_value)
    assert not result.valid and result.reason == "signature_mismatch" and result.message


def test_another_signers_certificate_does_not_verify_the_signature(hospital_sim):
    ca = get_port("ca")
    first, second = sim_staff(hospital_sim, role="doctor")[:2]
    document_hash = digest("同一份文书")
    a = ca.sign(signer_id=first["employee_no"], document_hash=document_hash, idempotency_key="ca-o-1")
    b = ca.sign(signer_id=second["employee_no"], document_hash=document_hash, idempotency_key="ca-o-2")
    result = verify_signature(certificate_pem=b.certificate_pem, trust_anchor_pem=ca.trust_anchor_pem(),
                              document_hash=document_hash, signature_value=a.signature_value)
    assert not result.valid and result.reason == "signature_mismatch"


def test_a_certificate_from_a_rogue_ca_with_the_same_name_fails(hospital_sim, signer):
    """A look-alike CA (same subject name, its own key) issues a certificate for the same clinician: the issuer
    name matches, so only the signature check with the anchor's public key stops it."""
    rogue = sim_ca.CertificateAuthority()  # same default CN and O as the simulator's root
    forged = rogue.issue(employee_no=signer["employee_no"], name=signer["name"])
    document_hash = digest("伪造的同意书")
    result = verify_signature(certificate_pem=forged.certificate_pem, trust_anchor_pem=get_port("ca").trust_anchor_pem(),
                              document_hash=document_hash, signature_value=sim_ca.sign_digest(forged, document_hash))
    assert not result.valid and result.reason == "untrusted_issuer"
    # the same signature against the rogue's own root is fine: the failure above is the trust anchor's doing
    assert verify_signature(certificate_pem=forged.certificate_pem, trust_anchor_pem=rogue.root_pem,
                            document_hash=document_hash,
                            signature_value=sim_ca.sign_digest(forged, document_hash)).valid


def test_an_expired_certificate_fails_and_validity_is_judged_at_the_signing_time():
    authority = sim_ca.CertificateAuthority(now=datetime.now(UTC) - timedelta(days=1000))
    start = datetime.now(UTC) - timedelta(days=800)
    expired = authority.issue(employee_no="E0099", name="王伟", not_before=start, not_after=start + timedelta(days=730))
    document_hash = digest("过期证书签的文书")
    signed = sim_ca.sign_digest(expired, document_hash)

    def check(at):
        return verify_signature(certificate_pem=expired.certificate_pem, trust_anchor_pem=authority.root_pem,
                                document_hash=document_hash, signature_value=signed, at=at)

    assert check(None).reason == "certificate_expired" and not check(None).valid
    assert check(start + timedelta(days=100)).valid  # signed while the certificate was valid
    assert check(start - timedelta(days=1)).reason == "certificate_not_yet_valid"


def test_a_certificate_without_the_signing_key_usage_fails():
    authority = sim_ca.CertificateAuthority()
    encipher_only = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=True,
                                  data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                  encipher_only=False, decipher_only=False)
    credential = authority.issue(employee_no="E0098", name="李娜", key_usage=encipher_only)
    document_hash = digest("x")
    result = verify_signature(certificate_pem=credential.certificate_pem, trust_anchor_pem=authority.root_pem,
                              document_hash=document_hash, signature_value=sim_ca.sign_digest(credential, document_hash))
    assert result.reason == "key_usage" and not result.valid


def test_malformed_inputs_are_reported_not_raised():
    authority = sim_ca.CertificateAuthority()
    credential = authority.issue(employee_no="E0097", name="张敏")
    good = {"certificate_pem": credential.certificate_pem, "trust_anchor_pem": authority.root_pem,
            "document_hash": digest("y"), "signature_value": sim_ca.sign_digest(credential, digest("y"))}
    assert verify_signature(**good).valid
    for change, reason in (
        ({"certificate_pem": "not a certificate"}, "malformed_certificate"),
        ({"trust_anchor_pem": ""}, "malformed_trust_anchor"),
        ({"trust_anchor_pem": credential.certificate_pem}, "trust_anchor_not_ca"),
        ({"document_hash": "abc"}, "malformed_hash"),
        ({"signature_value": "%%%not-base64"}, "malformed_signature"),
        ({"signature_value": "AAAA"}, "signature_mismatch"),
    ):
        result = verify_signature(**{**good, **change})
        assert (result.valid, result.reason) == (False, reason), change


def test_a_pinned_trust_anchor_is_used_instead_of_asking_the_ca(hospital_sim):
    pinned = sim_ca.CertificateAuthority(common_name="示例人民医院 CA").root_pem
    before = len(sim_get(hospital_sim, "requests", path="/ca/root-certificate")["items"])
    with override_settings(CA_TRUST_ANCHOR_PEM=pinned):
        assert get_port("ca").trust_anchor_pem() == pinned.strip()
    assert len(sim_get(hospital_sim, "requests", path="/ca/root-certificate")["items"]) == before


def test_the_ca_refuses_unknown_signers_and_bad_hashes(hospital_sim):
    ca = get_port("ca")
    with pytest.raises(ExternalServiceError) as unknown:
        ca.sign(signer_id="E9999", document_hash=digest("z"), idempotency_key="ca-u-1")
    assert unknown.value.code == "external_rejected" and unknown.value.extra["http_status"] == 422
    with pytest.raises(ExternalServiceError):
        ca.sign(signer_id="E0001", document_hash="not-a-hash", idempotency_key="ca-u-2")


def _production_check(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CA_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
                "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48), **extra})
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=BACKEND, env=env, capture_output=True,
                          text=True, timeout=240)


def test_production_refuses_to_start_without_a_pinned_trust_anchor():
    refused = _production_check({})
    assert refused.returncode != 0 and "CA_TRUST_ANCHOR_PEM" in refused.stderr
    garbage = _production_check({"CA_TRUST_ANCHOR_PEM": "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"})
    assert garbage.returncode != 0 and "not a PEM X.509 certificate" in garbage.stderr
    pinned = _production_check({"CA_TRUST_ANCHOR_PEM": sim_ca.CertificateAuthority().root_pem})
    assert pinned.returncode == 0, pinned.stderr
